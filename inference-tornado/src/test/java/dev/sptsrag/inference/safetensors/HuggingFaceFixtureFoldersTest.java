package dev.sptsrag.inference.safetensors;

import dev.sptsrag.inference.tensor.GgmlType;
import dev.sptsrag.inference.tensor.WeightTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

import static dev.sptsrag.inference.safetensors.SafetensorsTestFiles.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Opens the three model folders that transformers wrote for the parity tests and checks every
 * tensor against what {@code config.json} implies: names, types, shapes, and plausible values.
 */
class HuggingFaceFixtureFoldersTest {
    private static final Path PARITY = Path.of("src/test/resources/parity");

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa-rope3", "qwen2-bias-tied", "mistral-window"})
    void tensorsAreTheOnesTheConfigDescribes(String model) {
        try (HuggingFaceModelFolder folder = HuggingFaceModelFolder.open(PARITY.resolve(model))) {
            Map<String, Object> config = folder.config();
            Map<String, long[]> expected = expectedShapes(config);
            assertEquals(new TreeSet<>(expected.keySet()), new TreeSet<>(folder.tensorNames()));

            GgmlType type = switch ((String) config.get("dtype")) {
                case "float32" -> GgmlType.F32;
                case "float16" -> GgmlType.F16;
                case "bfloat16" -> GgmlType.BF16;
                default -> throw new AssertionError(config.get("dtype"));
            };
            for (Map.Entry<String, long[]> e : expected.entrySet()) {
                WeightTensor t = folder.tensor(e.getKey());
                assertEquals(type, t.type(), e.getKey());
                assertArrayEquals(e.getValue(), t.shape(), e.getKey());
                assertEquals(t.elementCount() * (type == GgmlType.F32 ? 4 : 2), t.data().byteSize(), e.getKey());
                checkValues(t);
            }
        }
    }

    @Test
    void qwen2IsShardedWithBiasesAndTiedEmbeddings() {
        try (HuggingFaceModelFolder folder = HuggingFaceModelFolder.open(PARITY.resolve("qwen2-bias-tied"))) {
            assertTrue(folder.findTensor("lm_head.weight").isEmpty());
            assertEquals(Boolean.TRUE, folder.config().get("tie_word_embeddings"));
            assertArrayEquals(new long[] {64}, folder.tensor("model.layers.1.self_attn.q_proj.bias").shape());
            assertArrayEquals(new long[] {32}, folder.tensor("model.layers.0.self_attn.v_proj.bias").shape());
            assertEquals(26, folder.tensorNames().size());
            assertTrue(folder.toString().contains("in 5 files"), folder.toString());
        }
    }

    @Test
    void llamaHasItsOwnLmHeadAndRopeScalingConfig() {
        try (HuggingFaceModelFolder folder = HuggingFaceModelFolder.open(PARITY.resolve("llama-gqa-rope3"))) {
            assertTrue(folder.findTensor("lm_head.weight").isPresent());
            @SuppressWarnings("unchecked")
            Map<String, Object> rope = (Map<String, Object>) folder.config().get("rope_scaling");
            assertEquals("llama3", rope.get("rope_type"));
            assertEquals(8.0, rope.get("factor"));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa-rope3", "qwen2-bias-tied", "mistral-window"})
    void sideFilesAreFound(String model) throws IOException {
        Path dir = PARITY.resolve(model);
        try (HuggingFaceModelFolder folder = HuggingFaceModelFolder.open(dir)) {
            assertEquals(dir, folder.directory());
            assertEquals(dir.resolve("tokenizer.json"), folder.tokenizerJson().orElseThrow());
            assertEquals(dir.resolve("tokenizer_config.json"), folder.tokenizerConfigJson().orElseThrow());
            assertEquals(Files.readString(dir.resolve("chat_template.jinja")), folder.chatTemplate().orElseThrow());
            assertTrue(folder.chatTemplate().orElseThrow().contains("add_generation_prompt"));
            Map<String, Object> generation = folder.generationConfig().orElseThrow();
            assertEquals(folder.config().get("eos_token_id"), generation.get("eos_token_id"));
        }
    }

    /** The Llama-family layout (Mistral and Qwen2 share it; Qwen2 adds QKV biases). */
    private static Map<String, long[]> expectedShapes(Map<String, Object> config) {
        long hidden = num(config, "hidden_size");
        long heads = num(config, "num_attention_heads");
        long kvHeads = num(config, "num_key_value_heads");
        long headDim = config.get("head_dim") instanceof Long d ? d : hidden / heads;
        long ffn = num(config, "intermediate_size");
        long vocab = num(config, "vocab_size");
        boolean qkvBias = "qwen2".equals(config.get("model_type")) || Boolean.TRUE.equals(config.get("attention_bias"));

        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("model.embed_tokens.weight", new long[] {vocab, hidden});
        for (int i = 0; i < num(config, "num_hidden_layers"); i++) {
            String p = "model.layers." + i + ".";
            shapes.put(p + "input_layernorm.weight", new long[] {hidden});
            shapes.put(p + "post_attention_layernorm.weight", new long[] {hidden});
            shapes.put(p + "self_attn.q_proj.weight", new long[] {heads * headDim, hidden});
            shapes.put(p + "self_attn.k_proj.weight", new long[] {kvHeads * headDim, hidden});
            shapes.put(p + "self_attn.v_proj.weight", new long[] {kvHeads * headDim, hidden});
            shapes.put(p + "self_attn.o_proj.weight", new long[] {hidden, heads * headDim});
            if (qkvBias) {
                shapes.put(p + "self_attn.q_proj.bias", new long[] {heads * headDim});
                shapes.put(p + "self_attn.k_proj.bias", new long[] {kvHeads * headDim});
                shapes.put(p + "self_attn.v_proj.bias", new long[] {kvHeads * headDim});
            }
            shapes.put(p + "mlp.gate_proj.weight", new long[] {ffn, hidden});
            shapes.put(p + "mlp.up_proj.weight", new long[] {ffn, hidden});
            shapes.put(p + "mlp.down_proj.weight", new long[] {hidden, ffn});
        }
        shapes.put("model.norm.weight", new long[] {hidden});
        if (!Boolean.TRUE.equals(config.get("tie_word_embeddings"))) {
            shapes.put("lm_head.weight", new long[] {vocab, hidden});
        }
        return shapes;
    }

    /**
     * All values finite, small and varied (nothing left at zero); RMSNorm weights were randomised by the fixture script
     * as 1 + 0.2·N(0,1), so they must lie within 1 ± 1 and average close to 1.
     */
    private static void checkValues(WeightTensor t) {
        float[] v = floats(t);
        Set<Float> distinct = new TreeSet<>();
        double sum = 0;
        for (float x : v) {
            assertTrue(Float.isFinite(x) && Math.abs(x) < 10f, t.name() + " has " + x);
            distinct.add(x);
            sum += x;
        }
        // bf16 has few distinct values near zero, so ask only for some variety, not for all-distinct.
        assertTrue(distinct.size() >= Math.min(16, v.length / 2), t.name() + " looks constant: " + distinct.size()
                + " distinct values");
        if (t.name().endsWith("norm.weight")) {
            for (float x : v) {
                assertTrue(Math.abs(x - 1f) < 1f, t.name() + " has " + x);
            }
            assertEquals(1.0, sum / v.length, 0.15, t.name() + " mean");
        }
    }

    private static long num(Map<String, Object> config, String key) {
        return (Long) config.get(key);
    }
}
