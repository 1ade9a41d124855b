package dev.sptsrag.inference.parity;

import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.decoder.DeviceModel;
import dev.sptsrag.inference.decoder.ForwardPass;
import dev.sptsrag.inference.decoder.KvCache;
import dev.sptsrag.inference.model.HuggingFaceConfigReader;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.model.ModelWeights;
import dev.sptsrag.inference.model.TensorNaming;
import dev.sptsrag.inference.safetensors.HuggingFaceModelFolder;
import dev.sptsrag.inference.testing.Float64Reference;
import dev.sptsrag.inference.testing.LogitComparison;
import dev.sptsrag.inference.testing.ParityFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.FieldSource;


/**
 * The CPU engine against Hugging Face transformers on the fixture models (Llama with GQA and llama3
 * RoPE scaling, Qwen2 with QKV bias and tied embeddings in BF16 shards, Mistral with a sliding window
 * in F16; and every other folder under parity/, e.g. Qwen3's QK-norm): logits at every position of prompt + greedy continuation within 1e-3 of the largest
 * reference logit, and the same argmax. The prompt is prefilled in batches of 32, the continuation
 * decoded one token at a time through the KV cache.
 */
class HuggingFaceParityTest {
    static final java.util.List<String> FIXTURES = ParityFixture.NAMES;

    @ParameterizedTest
    @FieldSource("FIXTURES")
    void engineMatchesTransformers(String name) {
        ParityFixture fx = ParityFixture.load(name);
        try (HuggingFaceModelFolder folder = HuggingFaceModelFolder.open(fx.folder());
             CpuBackend backend = new CpuBackend(2)) {
            ModelConfig config = HuggingFaceConfigReader.read(folder.config(), name, name);
            ModelWeights weights = ModelWeights.load(config, folder, TensorNaming.HUGGING_FACE);
            ForwardPass pass = new ForwardPass(DeviceModel.upload(config, weights, backend, null), 32);
            KvCache cache = KvCache.forOneSequence(config, backend, 128);
            int[] seq = fx.sequence();
            float[] logits = new float[config.vocabSize()];
            int[] tokens = new int[32];
            int[] positions = new int[32];
            double worst = 0;
            int pos = 0;
            while (pos < seq.length) {
                int n = pos < fx.promptLength() ? Math.min(32, fx.promptLength() - pos) : 1;
                for (int i = 0; i < n; i++) {
                    tokens[i] = seq[pos + i];
                    positions[i] = pos + i;
                }
                pass.forward(tokens, positions, n, 0, cache);
                for (int i = 0; i < n; i++) {
                    pass.logits(i, logits);
                    worst = Math.max(worst, LogitComparison.assertClose(name + " position " + (pos + i),
                            fx.referenceRow(pos + i), logits, 1e-3));
                }
                pos += n;
            }
            System.out.printf("%s: engine vs transformers, worst max|Δ|/max|ref| = %.2e over %d positions%n",
                    name, worst, seq.length);
        }
    }

    @ParameterizedTest
    @FieldSource("FIXTURES")
    void float64ReferenceMatchesTransformers(String name) {
        ParityFixture fx = ParityFixture.load(name);
        try (HuggingFaceModelFolder folder = HuggingFaceModelFolder.open(fx.folder())) {
            ModelConfig config = HuggingFaceConfigReader.read(folder.config(), name, name);
            ModelWeights weights = ModelWeights.load(config, folder, TensorNaming.HUGGING_FACE);
            double[][] ref = new Float64Reference(config, weights).logits(fx.sequence());
            double worst = 0;
            for (int p = 0; p < ref.length; p++) {
                float[] f = new float[ref[p].length];
                for (int i = 0; i < f.length; i++) {
                    f[i] = (float) ref[p][i];
                }
                worst = Math.max(worst, LogitComparison.assertClose(name + " float64 position " + p,
                        fx.referenceRow(p), f, 1e-4));
            }
            System.out.printf("%s: float64 reference vs transformers, worst = %.2e%n", name, worst);
        }
    }
}
