package dev.sptsrag.inference.model;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.convert.GgufConverter;
import dev.sptsrag.inference.json.Json;
import dev.sptsrag.inference.safetensors.HuggingFaceModelFolder;
import dev.sptsrag.inference.safetensors.SafetensorsWriter;
import dev.sptsrag.inference.spts.SkipBudget;
import dev.sptsrag.inference.tensor.Dequantizer;
import dev.sptsrag.inference.tensor.GgmlType;
import dev.sptsrag.inference.tensor.WeightTensor;
import dev.sptsrag.inference.testing.Float64Reference;
import dev.sptsrag.inference.testing.ParityFixture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Predicate;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Qwen3 outside the forward pass: its config.json, its per-head query/key norm tensors in a Hugging Face
 * folder and through our GGUF conversion, the errors for a missing or misshapen norm, and its preset.
 */
class Qwen3ModelTest {
    /** Qwen/Qwen3-8B's published config.json (Hugging Face hub), as transformers 4.51 wrote it. */
    private static final String QWEN3_8B_CONFIG = """
            {"architectures": ["Qwen3ForCausalLM"], "attention_bias": false, "attention_dropout": 0.0,
             "bos_token_id": 151643, "eos_token_id": 151645, "head_dim": 128, "hidden_act": "silu",
             "hidden_size": 4096, "initializer_range": 0.02, "intermediate_size": 12288,
             "max_position_embeddings": 40960, "max_window_layers": 36, "model_type": "qwen3",
             "num_attention_heads": 32, "num_hidden_layers": 36, "num_key_value_heads": 8, "rms_norm_eps": 1e-06,
             "rope_scaling": null, "rope_theta": 1000000, "sliding_window": null, "tie_word_embeddings": false,
             "torch_dtype": "bfloat16", "transformers_version": "4.51.0", "use_cache": true,
             "use_sliding_window": false, "vocab_size": 151936}
            """;

    /** tiny-qwen3's shape with the vocabulary of the tiny Qwen tokenizer of the parity fixtures. */
    private static final ModelConfig TINY = new ModelConfig(Architecture.QWEN3, "tiny", 520, 64, 160, 2, 4, 2, 32,
            2048, 1e-6f, 1000000, RopeScaling.NONE, RopeLayout.SPLIT_HALF, false, true, 0);

    @Test
    void qwen3ConfigJsonReadsAsTheQwen3Preset() {
        ModelConfig c = HuggingFaceConfigReader.read(Json.parseObject(QWEN3_8B_CONFIG, "config.json"), "qwen3-8b",
                "config.json");
        assertEquals(ModelPresets.get("qwen3-8b"), c);
        assertTrue(c.qkNorm());
        assertFalse(c.qkvBias());
        assertEquals(RopeLayout.SPLIT_HALF, c.ropeLayout());
    }

    @Test
    void qwen3BudgetIsThePaperQwenSettingScaledTo36Layers() {
        ModelConfig c = ModelPresets.get("qwen3-8b");
        SkipBudget b = SkipBudget.preset(c.architecture().skipPresetFamily(), c);
        // Qwen-2.5-7B's layers 9 | 12, 16, 20, 24 of 28, times 36/28, rounded.
        assertEquals(12, b.startLayer());
        assertArrayEquals(new int[] {15, 21, 26, 31}, b.boundaries());
        assertArrayEquals(SkipBudget.QWEN_2_5_7B.stageBudgets(), b.stageBudgets());
    }

    @Test
    void headWidthNeedNotBeHiddenOverHeadsAndNormsAreCounted() {
        ModelConfig c = ModelPresets.get("tiny-qwen3");
        assertEquals(128, c.queryDim());
        assertEquals(64, c.hiddenSize());
        try (SyntheticWeights w = SyntheticWeights.generate(c, 3)) {
            ModelWeights weights = w.weights(c);
            long counted = weights.all().stream().mapToLong(WeightTensor::elementCount).sum();
            assertEquals(c.parameterCount(), counted);
            assertEquals(32, weights.layers().getFirst().queryNorm().elementCount());
        }
        try (SyntheticWeights w = SyntheticWeights.generate(ModelPresets.get("tiny-qwen2"), 3)) {
            assertNull(w.weights(ModelPresets.get("tiny-qwen2")).layers().getFirst().queryNorm(),
                    "other families have no QK-norm");
        }
    }

    @Test
    void normsSurviveConversionToGgufExactly(@TempDir Path dir) throws Exception {
        Path folder = writeFolder(dir.resolve("hf"), name -> true, TINY.headDim());
        Path gguf = dir.resolve("tiny.gguf");
        GgufConverter.convert(folder, gguf, GgmlType.F32, line -> { });
        try (LoadedModel hf = LoadedModel.open(folder); LoadedModel converted = LoadedModel.open(gguf)) {
            assertEquals(Architecture.QWEN3, converted.config().architecture());
            assertEquals(RopeLayout.SPLIT_HALF, converted.config().ropeLayout(), "no Q/K permutation for Qwen3");
            assertEquals(hf.weights().all().size(), converted.weights().all().size());
            for (int l = 0; l < TINY.layerCount(); l++) {
                LayerWeights a = hf.weights().layers().get(l);
                LayerWeights b = converted.weights().layers().get(l);
                assertEquals("blk." + l + ".attn_q_norm.weight", b.queryNorm().name());
                assertArrayEquals(floats(a.queryNorm()), floats(b.queryNorm()));
                assertArrayEquals(floats(a.keyNorm()), floats(b.keyNorm()));
            }
            int[] tokens = {1, 7, 300, 42, 42, 519};
            double[][] x = new Float64Reference(hf.config(), hf.weights()).logits(tokens);
            double[][] y = new Float64Reference(converted.config(), converted.weights()).logits(tokens);
            for (int p = 0; p < tokens.length; p++) {
                assertArrayEquals(x[p], y[p], 1e-9, "position " + p);
            }
        }
    }

    @Test
    void theNormsChangeTheReferenceLogits(@TempDir Path dir) throws Exception {
        // Guards the float64 reference itself: a Qwen3 checkpoint read as if it had no QK-norm differs.
        try (LoadedModel hf = LoadedModel.open(writeFolder(dir, name -> true, TINY.headDim()));
             HuggingFaceModelFolder folder = HuggingFaceModelFolder.open(dir)) {
            ModelConfig withoutNorms = new ModelConfig(Architecture.LLAMA, "x", 520, 64, 160, 2, 4, 2, 32, 2048, 1e-6f,
                    1000000, RopeScaling.NONE, RopeLayout.SPLIT_HALF, false, true, 0);
            double[] with = new Float64Reference(hf.config(), hf.weights()).logits(new int[] {5, 6})[1];
            double[] without = new Float64Reference(withoutNorms, ModelWeights.load(withoutNorms, folder,
                    TensorNaming.HUGGING_FACE)).logits(new int[] {5, 6})[1];
            assertFalse(Arrays.equals(with, without));
        }
    }

    @Test
    void aMissingOrMisshapenNormIsAModelFormatError(@TempDir Path dir) throws Exception {
        Path missing = writeFolder(dir.resolve("missing"), name -> !name.equals("model.layers.1.self_attn.k_norm.weight"),
                TINY.headDim());
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> LoadedModel.open(missing));
        assertTrue(e.getMessage().contains("missing tensor model.layers.1.self_attn.k_norm.weight"), e.getMessage());

        Path wide = writeFolder(dir.resolve("wide"), name -> true, TINY.hiddenSize());
        e = assertThrows(ModelFormatException.class, () -> LoadedModel.open(wide));
        assertTrue(e.getMessage().contains("q_norm.weight has shape [64], expected [32]"), e.getMessage());
    }

    /**
     * A Hugging Face folder of {@link #TINY} with synthetic weights, the tensors {@code keep} accepts, and
     * norms {@code normWidth} wide; tokenizer files from the Qwen2 parity fixture.
     */
    private static Path writeFolder(Path dir, Predicate<String> keep, int normWidth) throws Exception {
        Files.createDirectories(dir);
        SafetensorsWriter writer = new SafetensorsWriter();
        try (SyntheticWeights w = SyntheticWeights.generate(TINY, 11)) {
            for (WeightTensor t : w.weights(TINY).all()) {
                if (!keep.test(t.name())) {
                    continue;
                }
                float[] values = floats(t);
                if (t.name().endsWith("_norm.weight") && normWidth != values.length) {
                    values = Arrays.copyOf(values, normWidth);
                    Arrays.fill(values, 1f);
                }
                writer.addF32(t.name(), t.rank() == 1 ? new long[] {values.length} : t.shape(), values);
            }
        }
        writer.write(dir.resolve("model.safetensors"));
        Files.writeString(dir.resolve("config.json"), """
                {"architectures": ["Qwen3ForCausalLM"], "model_type": "qwen3", "attention_bias": false,
                 "head_dim": 32, "hidden_act": "silu", "hidden_size": 64, "intermediate_size": 160,
                 "max_position_embeddings": 2048, "num_attention_heads": 4, "num_hidden_layers": 2,
                 "num_key_value_heads": 2, "rms_norm_eps": 1e-06, "rope_theta": 1000000, "rope_scaling": null,
                 "sliding_window": null, "use_sliding_window": false, "tie_word_embeddings": true,
                 "vocab_size": 520}
                """);
        Path tokenizer = ParityFixture.load("qwen2-bias-tied").folder();
        Files.copy(tokenizer.resolve("tokenizer.json"), dir.resolve("tokenizer.json"));
        Files.copy(tokenizer.resolve("tokenizer_config.json"), dir.resolve("tokenizer_config.json"));
        return dir;
    }

    private static float[] floats(WeightTensor t) {
        float[] out = new float[Math.toIntExact(t.elementCount())];
        Dequantizer.dequantize(t.type(), t.data(), 0, out, 0, out.length);
        return out;
    }
}
