package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.engine.GenerationRequest;
import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.engine.SamplingOptions;
import dev.sptsrag.inference.engine.TokenListener;
import dev.sptsrag.inference.eval.PromptFormat;
import dev.sptsrag.inference.eval.TaskFamily;
import dev.sptsrag.inference.eval.TaskSample;
import dev.sptsrag.inference.eval.TaskSetGenerator;
import dev.sptsrag.inference.model.LayerWeights;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.model.ModelWeights;
import dev.sptsrag.inference.model.TensorNaming;
import dev.sptsrag.inference.tensor.Dequantizer;
import dev.sptsrag.inference.tensor.GgmlType;
import dev.sptsrag.inference.tensor.Quantizer;
import dev.sptsrag.inference.tensor.TensorSource;
import dev.sptsrag.inference.tensor.WeightTensor;
import dev.sptsrag.inference.testing.ParityFixture;
import dev.sptsrag.inference.tokenizer.Tokenizer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
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
    static final double MIN_ARGMAX_AGREEMENT = 0.9;

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa-rope3", "qwen2-bias-tied", "mistral-window"})
    void fixtureModels(String name) {
        ParityFixture fx = ParityFixture.load(name);
        try (LoadedModel model = LoadedModel.open(fx.folder())) {
            compare(name, model.config(), model.weights(), model.tokenizer(), fx.sequence(), 32);
        }
    }

    /**
     * The same fixtures with every matrix rounded to BF16 first, so both backends hold identical
     * weights and only the GPU's BF16 operands (GEMM inputs, K/V, attention probabilities) differ.
     */
    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa-rope3", "qwen2-bias-tied", "mistral-window"})
    void fixtureModelsOnIdenticalBf16Weights(String name) {
        ParityFixture fx = ParityFixture.load(name);
        try (LoadedModel model = LoadedModel.open(fx.folder()); Arena arena = Arena.ofShared()) {
            ModelWeights bf16 = ModelWeights.load(model.config(), new Bf16Tensors(model.weights(), arena),
                    TensorNaming.HUGGING_FACE);
            compare(name + " (bf16 weights)", model.config(), bf16, model.tokenizer(), fx.sequence(), 32);
        }
    }

    /** Every matrix of {@code weights} as BF16 (rounded to nearest even); vectors unchanged. */
    private record Bf16Tensors(Map<String, WeightTensor> tensors) implements TensorSource {
        Bf16Tensors(ModelWeights weights, Arena arena) {
            this(convert(weights, arena));
        }

        private static Map<String, WeightTensor> convert(ModelWeights w, Arena arena) {
            Map<String, WeightTensor> out = new LinkedHashMap<>();
            List<WeightTensor> all = new ArrayList<>(List.of(w.tokenEmbedding(), w.outputNorm(), w.output()));
            for (LayerWeights l : w.layers()) {
                all.addAll(java.util.stream.Stream.of(l.attentionNorm(), l.query(), l.key(), l.value(), l.output(),
                        l.queryBias(), l.keyBias(), l.valueBias(), l.ffnNorm(), l.gate(), l.up(), l.down())
                        .filter(java.util.Objects::nonNull).toList());
            }
            for (WeightTensor t : all) {
                if (t.rank() != 2 || out.containsKey(t.name())) {
                    out.putIfAbsent(t.name(), t);
                    continue;
                }
                int n = Math.toIntExact(t.elementCount());
                float[] values = new float[n];
                Dequantizer.dequantize(t.type(), t.data(), 0, values, 0, n);
                MemorySegment seg = arena.allocate(2L * n, 64);
                Quantizer.quantize(GgmlType.BF16, values, 0, seg, 0, n);
                out.put(t.name(), new WeightTensor(t.name(), GgmlType.BF16, t.shape(), seg));
            }
            return out;
        }

        @Override
        public Optional<WeightTensor> find(String name) {
            return Optional.ofNullable(tensors.get(name));
        }

        @Override
        public Set<String> names() {
            return tensors.keySet();
        }

        @Override
        public String description() {
            return "BF16-rounded weights";
        }
    }

    /**
     * The demo model is trained, so its answers are decisive where the random fixtures' logits are full of
     * near-ties: on generated task prompts the GPU's greedy answer is the CPU's, token for token. The model
     * is {@code SPTS_DEMO_MODEL} or {@code models/demo-16m-f16.gguf} under the working directory.
     */
    @Test
    void demoModelAnswersAsTheCpuDoes() {
        String configured = System.getenv("SPTS_DEMO_MODEL");
        Path path = configured != null ? Path.of(configured) : Path.of("models", "demo-16m-f16.gguf");
        assumeTrue(Files.isRegularFile(path), "no demo model at " + path.toAbsolutePath());
        try (LoadedModel model = LoadedModel.open(path)) {
            PromptFormat format = PromptFormat.of(model);
            List<TaskSample> samples = new TaskSetGenerator(format).generate(
                    List.of(TaskFamily.NIAH_SINGLE, TaskFamily.NIAH_MULTIKEY, TaskFamily.RECORDS_QA), List.of(1024, 2048), 3, 11);
            try (InferenceEngine onCpu = new InferenceEngine(model.config(), model.weights(), model.tokenizer(),
                    new CpuBackend(), 2048 + 40, 512, null);
                 InferenceEngine onGpu = new InferenceEngine(model.config(), model.weights(), model.tokenizer(),
                         CudaTesting.open(), 2048 + 40, 512, null)) {
                for (TaskSample sample : samples) {
                    int[] prompt = format.tokens(sample);
                    int[] cpu = onCpu.generate(new GenerationRequest(prompt, SamplingOptions.greedy(24)), TokenListener.IGNORE)
                            .tokens();
                    int[] gpu = onGpu.generate(new GenerationRequest(prompt, SamplingOptions.greedy(24)), TokenListener.IGNORE)
                            .tokens();
                    String where = sample.task() + " at " + prompt.length + " tokens";
                    assertArrayEquals(cpu, gpu, where + ": GPU answered '" + model.tokenizer().decode(gpu) + "', CPU '"
                            + model.tokenizer().decode(cpu) + "'");
                    System.out.printf("demo model, %s: GPU and CPU both answer '%s' (reference '%s')%n", where,
                            model.tokenizer().decode(gpu).strip(), sample.referenceAnswer());
                }
            }
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-hd128", "tiny-qwen2-hd64"})
    void tensorCoreHeadWidths(String preset) {
        try (LoadedModel model = LoadedModel.synthetic(preset, 7, GgmlType.BF16)) {
            int[] tokens = new SplittableRandom(3).ints(300, 0, model.config().vocabSize()).toArray();
            // Batches of 128: prefill chunks take the tensor-core kernel and attend to earlier chunks.
            compare(preset, model.config(), model.weights(), null, tokens, 128);
        }
    }

    /** Qwen3's per-head query/key norm on the GPU (head width 32: the generic attention kernel). */
    @Test
    void qkNormFamily() {
        try (LoadedModel model = LoadedModel.synthetic("tiny-qwen3", 7, GgmlType.BF16)) {
            int[] tokens = new SplittableRandom(3).ints(200, 0, model.config().vocabSize()).toArray();
            compare("tiny-qwen3", model.config(), model.weights(), null, tokens, 64);
        }
    }

    private static void compare(String name, ModelConfig config, ModelWeights weights, Tokenizer tokenizer,
                                int[] tokens, int batch) {
        int vocab = config.vocabSize();
        float[][] cpu = new float[tokens.length][vocab];
        float[][] gpu = new float[tokens.length][vocab];
        int context = tokens.length + 40;
        try (InferenceEngine onCpu = new InferenceEngine(config, weights, tokenizer, new CpuBackend(), context, batch, null);
             InferenceEngine onGpu = new InferenceEngine(config, weights, tokenizer, CudaTesting.open(), context, batch,
                     null)) {
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
