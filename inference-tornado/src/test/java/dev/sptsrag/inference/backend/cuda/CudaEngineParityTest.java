package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.engine.GenerationRequest;
import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.engine.SamplingOptions;
import dev.sptsrag.inference.engine.TokenListener;
import dev.sptsrag.inference.gguf.GgmlType;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.testing.ParityFixture;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The whole engine on the GPU against the CPU engine on the same weights: teacher-forced logits at
 * every position, and greedy generations. The CPU computes in float32; the GPU rounds GEMM inputs, K/V
 * and attention probabilities to BF16, so logits agree to within {@value #TOLERANCE} of the largest
 * logit, and the argmax is identical wherever the CPU's best two logits are further apart than twice
 * that (closer pairs are genuine near-ties that BF16 rounding may order either way; they are counted
 * and must stay rare). A greedy generation on the GPU (decode kernels, one token at a time) must pick,
 * at every step, a token the CPU scores within that same margin of its best.
 *
 * <p>Weights: the synthetic presets are generated in BF16, so both backends hold exactly the same
 * weights; the fixture folders are F32, BF16 and F16 as transformers saved them.
 */
class CudaEngineParityTest {
    static final double TOLERANCE = 3e-2;
    static final double MIN_ARGMAX_AGREEMENT = 0.75;

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa-rope3", "qwen2-bias-tied", "mistral-window"})
    void fixtureModels(String name) {
        ParityFixture fx = ParityFixture.load(name);
        try (LoadedModel model = LoadedModel.open(fx.folder())) {
            compare(name, model, fx.sequence(), 32);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-hd128", "tiny-qwen2-hd64"})
    void tensorCoreHeadWidths(String preset) {
        try (LoadedModel model = LoadedModel.synthetic(preset, 7, GgmlType.BF16)) {
            int[] tokens = new SplittableRandom(3).ints(300, 0, model.config().vocabSize()).toArray();
            // Batches of 128: prefill chunks take the tensor-core kernel and attend to earlier chunks.
            compare(preset, model, tokens, 128);
        }
    }

    private static void compare(String name, LoadedModel model, int[] tokens, int batch) {
        int vocab = model.config().vocabSize();
        float[][] cpu = new float[tokens.length][vocab];
        float[][] gpu = new float[tokens.length][vocab];
        int context = tokens.length + 40;
        try (InferenceEngine onCpu = engine(model, new CpuBackend(), context, batch);
             InferenceEngine onGpu = engine(model, CudaTesting.open(), context, batch)) {
            onCpu.allLogits(tokens, cpu);
            onGpu.allLogits(tokens, gpu);
            compareLogits(name, cpu, gpu, vocab);

            int[] prompt = java.util.Arrays.copyOf(tokens, Math.min(tokens.length, 40));
            int[] greedy = onGpu.generate(new GenerationRequest(prompt, SamplingOptions.greedy(24)), TokenListener.IGNORE)
                    .tokens();
            int[] path = new int[prompt.length + greedy.length];
            System.arraycopy(prompt, 0, path, 0, prompt.length);
            System.arraycopy(greedy, 0, path, prompt.length, greedy.length);
            float[][] cpuPath = new float[path.length][vocab];
            onCpu.allLogits(path, cpuPath);
            for (int j = 0; j < greedy.length; j++) {
                float[] row = cpuPath[prompt.length + j - 1];
                int best = argmax(row);
                double maxRef = 0;
                for (float v : row) {
                    maxRef = Math.max(maxRef, Math.abs(v));
                }
                double regret = row[best] - row[greedy[j]];
                assertTrue(regret <= 2 * TOLERANCE * maxRef, name + ": GPU greedy step " + j + " chose " + greedy[j]
                        + ", CPU prefers " + best + " by " + regret);
            }
            System.out.printf("%s: %d GPU greedy tokens, each within the margin of the CPU's best%n", name, greedy.length);
        }
    }

    private static void compareLogits(String name, float[][] cpu, float[][] gpu, int vocab) {
        int positions = cpu.length;
        double worst = 0;
        int agree = 0;
        for (int p = 0; p < positions; p++) {
            double maxRef = 0, maxDiff = 0;
            int best = 0;
            for (int i = 0; i < vocab; i++) {
                assertTrue(Float.isFinite(gpu[p][i]), name + ": non-finite GPU logit at position " + p);
                maxRef = Math.max(maxRef, Math.abs(cpu[p][i]));
                maxDiff = Math.max(maxDiff, Math.abs(cpu[p][i] - gpu[p][i]));
                if (cpu[p][i] > cpu[p][best]) {
                    best = i;
                }
            }
            double rel = maxDiff / maxRef;
            worst = Math.max(worst, rel);
            assertTrue(rel <= TOLERANCE, name + " position " + p + ": max|Δ|/max|ref| = " + rel);
            if (best == argmax(gpu[p])) {
                agree++;
            }
        }
        System.out.printf("%s: GPU vs CPU worst max|Δ|/max|ref| = %.2e over %d positions, argmax equal at %d%n", name,
                worst, positions, agree);
        assertTrue(agree >= MIN_ARGMAX_AGREEMENT * positions, name + ": argmax equal at only " + agree + " of " + positions);
    }

    private static InferenceEngine engine(LoadedModel m, Backend backend, int context, int batch) {
        return new InferenceEngine(m.config(), m.weights(), m.tokenizer(), backend, context, batch, null);
    }

    private static int argmax(float[] a) {
        int best = 0;
        for (int i = 1; i < a.length; i++) {
            if (a[i] > a[best]) {
                best = i;
            }
        }
        return best;
    }
}
