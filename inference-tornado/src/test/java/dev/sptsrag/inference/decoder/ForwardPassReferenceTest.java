package dev.sptsrag.inference.decoder;

import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.model.ModelPresets;
import dev.sptsrag.inference.model.ModelWeights;
import dev.sptsrag.inference.model.SyntheticWeights;
import dev.sptsrag.inference.testing.Float64Reference;
import dev.sptsrag.inference.testing.LogitComparison;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The CPU engine against the independent float64 reference on synthetic models that cover GQA with
 * llama3 RoPE scaling, QKV bias with tied embeddings, a sliding window shorter than the sequence, and
 * per-head query/key norms (QK-norm) with a head width other than hidden / heads.
 * The sequence is fed as uneven prefill chunks and then token by token, so batched prefill, the KV
 * cache and decode are all checked at every position.
 */
class ForwardPassReferenceTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-qwen2", "tiny-mistral", "tiny-qwen3"})
    void everyPositionMatchesTheFloat64Reference(String preset) {
        ModelConfig config = ModelPresets.get(preset);
        int n = 50;
        int[] tokens = new SplittableRandom(7).ints(n, 0, config.vocabSize()).toArray();
        try (SyntheticWeights source = SyntheticWeights.generate(config, 42); CpuBackend backend = new CpuBackend(2)) {
            ModelWeights weights = source.weights(config);
            double[][] expected = new Float64Reference(config, weights).logits(tokens);

            DeviceModel model = DeviceModel.upload(config, weights, backend, null);
            ForwardPass pass = new ForwardPass(model, 16);
            KvCache cache = KvCache.forOneSequence(config, backend, 64);
            float[] logits = new float[config.vocabSize()];
            int[] chunkTokens = new int[16];
            int[] positions = new int[16];
            int[] chunks = {16, 16, 5, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
            int pos = 0;
            double worst = 0;
            for (int size : chunks) {
                for (int i = 0; i < size; i++) {
                    chunkTokens[i] = tokens[pos + i];
                    positions[i] = pos + i;
                }
                pass.forward(chunkTokens, positions, size, 0, cache);
                for (int i = 0; i < size; i++) {
                    pass.logits(i, logits);
                    worst = Math.max(worst, LogitComparison.assertClose(preset + " position " + (pos + i),
                            expected[pos + i], logits, 1e-4));
                }
                pos += size;
            }
            assertTrue(pos == n);
            System.out.printf("%s: worst max|Δ|/max|ref| = %.2e%n", preset, worst);
        }
    }
}
