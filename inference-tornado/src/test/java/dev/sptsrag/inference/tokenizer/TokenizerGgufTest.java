package dev.sptsrag.inference.tokenizer;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.gguf.GgufMetadata;
import dev.sptsrag.inference.gguf.GgufValueType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The GGUF form of a tokenizer: exported metadata reloads into a tokenizer that behaves the same. */
class TokenizerGgufTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama3_1", "qwen3"})
    void exportedMetadataEncodesTheConformanceStringsIdentically(String name) {
        Tokenizer hf = TokenizerFixtures.tokenizer(name);
        GgufMetadata md = GgufTokenizerMetadata.of(hf);
        Tokenizer gguf = Tokenizer.fromGguf(md);

        assertEquals(hf.vocabSize(), gguf.vocabSize());
        assertEquals(hf.specialTokens(), gguf.specialTokens());
        assertEquals(hf.chatTemplateSource(), gguf.chatTemplateSource());
        assertEquals(hf.preTokenizer(), gguf.preTokenizer());
        int matched = 0;
        List<TokenizerFixtures.Row> rows = TokenizerFixtures.expected(name);
        for (TokenizerFixtures.Row row : rows) {
            assertArrayEquals(row.ids(), gguf.encode(row.text()), () -> "ids of " + TokenizerFixtures.show(row.text()));
            assertArrayEquals(row.idsWithSpecial(), gguf.encode(row.text(), true),
                    () -> "ids_with_special of " + TokenizerFixtures.show(row.text()));
            assertEquals(row.decoded(), gguf.decode(row.ids()));
            matched++;
        }
        System.out.printf("%s via GGUF metadata: %d/%d strings%n", name, matched, rows.size());
    }

    @Test
    void exportUsesLlamaCppLayout() {
        Tokenizer llama = TokenizerFixtures.tokenizer("llama3_1");
        GgufMetadata md = GgufTokenizerMetadata.of(llama);
        assertEquals("gpt2", md.getString("tokenizer.ggml.model"));
        assertEquals("llama-bpe", md.getString("tokenizer.ggml.pre"));
        List<String> tokens = md.getStringList("tokenizer.ggml.tokens");
        assertEquals(128256, tokens.size());
        assertEquals("<|begin_of_text|>", tokens.get(128000));
        int[] types = md.getIntArray("tokenizer.ggml.token_type");
        assertEquals(TokenType.NORMAL.ggufCode(), types[0]);
        assertEquals(TokenType.CONTROL.ggufCode(), types[128009]);
        assertEquals(GgufValueType.INT32, md.getArray("tokenizer.ggml.token_type").elementType());
        assertEquals("Ġ Ġ", md.getStringList("tokenizer.ggml.merges").get(0));
        assertEquals(280147, md.getStringList("tokenizer.ggml.merges").size());
        assertEquals(128000, md.getInt("tokenizer.ggml.bos_token_id"));
        assertEquals(GgufValueType.UINT32, md.type("tokenizer.ggml.bos_token_id"));
        assertEquals(128009, md.getInt("tokenizer.ggml.eos_token_id"));
        assertEquals(128009, md.getInt("tokenizer.ggml.eot_token_id"));
        assertTrue(md.getBoolean("tokenizer.ggml.add_bos_token"));
        assertTrue(md.getString("tokenizer.chat_template").contains("<|start_header_id|>"));
        assertTrue(md.keys().stream().noneMatch(k -> k.startsWith("tokenizer.spts.")), "real families need no extra keys");

        GgufMetadata qwen = GgufTokenizerMetadata.of(TokenizerFixtures.tokenizer("qwen3"));
        assertEquals("qwen2", qwen.getString("tokenizer.ggml.pre"));
        assertEquals(151645, qwen.getInt("tokenizer.ggml.eos_token_id"));
        assertEquals(151643, qwen.getInt("tokenizer.ggml.padding_token_id"));
        assertEquals(false, qwen.getBoolean("tokenizer.ggml.add_bos_token"));
        assertEquals(TokenType.USER_DEFINED.ggufCode(),
                qwen.getIntArray("tokenizer.ggml.token_type")[qwen.getStringList("tokenizer.ggml.tokens").indexOf("<think>")]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama-gqa-rope3", "qwen2-bias-tied"})
    void tinyParityTokenizersSurviveTheRoundTrip(String model) {
        Path dir = TokenizerFixtures.RESOURCES.resolve("parity").resolve(model);
        Tokenizer hf = Tokenizer.fromHuggingFace(dir.resolve("tokenizer.json"), dir.resolve("tokenizer_config.json"));
        Tokenizer gguf = Tokenizer.fromGguf(GgufTokenizerMetadata.of(hf));
        for (TokenizerFixtures.Row row : TokenizerFixtures.expected("qwen3")) {
            assertArrayEquals(hf.encode(row.text()), gguf.encode(row.text()), () -> TokenizerFixtures.show(row.text()));
        }
        assertEquals(hf.specialTokens(), gguf.specialTokens());
        assertEquals(hf.normalizesNfc(), gguf.normalizesNfc());
        assertEquals(hf.ignoresMerges(), gguf.ignoresMerges());
    }

    @Test
    void unknownPreTokenizerIsNamedWithTheSupportedOnes() {
        GgufMetadata md = with(GgufTokenizerMetadata.of(TokenizerFixtures.tokenizer("qwen3")),
                "tokenizer.ggml.pre", "deepseek-llm", GgufValueType.STRING);
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> Tokenizer.fromGguf(md));
        assertTrue(e.getMessage().contains("deepseek-llm"), e.getMessage());
        assertTrue(e.getMessage().contains("llama-bpe") && e.getMessage().contains("qwen2"), e.getMessage());
    }

    @Test
    void nonGpt2ModelIsUnsupported() {
        GgufMetadata md = with(GgufTokenizerMetadata.of(TokenizerFixtures.tokenizer("qwen3")),
                "tokenizer.ggml.model", "llama", GgufValueType.STRING);
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> Tokenizer.fromGguf(md));
        assertTrue(e.getMessage().contains("\"llama\""), e.getMessage());
    }

    @Test
    void outOfRangeSpecialIdIsAFormatError() {
        GgufMetadata md = with(GgufTokenizerMetadata.of(TokenizerFixtures.tokenizer("qwen3")),
                "tokenizer.ggml.eos_token_id", 999_999L, GgufValueType.UINT32);
        assertThrows(ModelFormatException.class, () -> Tokenizer.fromGguf(md));
    }

    @Test
    void mergeWithUnknownTokenIsAFormatError() {
        GgufMetadata base = GgufTokenizerMetadata.of(TokenizerFixtures.tokenizer("qwen3"));
        List<Object> merges = new ArrayList<>(base.getArray("tokenizer.ggml.merges").values());
        merges.set(3, "no-such-token x");
        GgufMetadata md = with(base, "tokenizer.ggml.merges",
                new dev.sptsrag.inference.gguf.GgufArray(GgufValueType.STRING, merges), GgufValueType.ARRAY);
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> Tokenizer.fromGguf(md));
        assertTrue(e.getMessage().contains("merge 3"), e.getMessage());
    }

    @Test
    void addBosDefaultsFollowLlamaCppWhenTheKeyIsAbsent() {
        GgufMetadata full = GgufTokenizerMetadata.of(TokenizerFixtures.tokenizer("llama3_1"));
        Map<String, Object> values = new LinkedHashMap<>(full.asMap());
        Map<String, GgufValueType> types = new LinkedHashMap<>();
        values.keySet().forEach(k -> types.put(k, full.type(k)));
        values.remove("tokenizer.ggml.add_bos_token");
        types.remove("tokenizer.ggml.add_bos_token");
        Tokenizer t = Tokenizer.fromGguf(new GgufMetadata(values, types));
        assertTrue(t.specialTokens().addBos());
        assertEquals(128000, t.encode("hi", true)[0]);
        assertEquals(List.of(128000, 128005), Arrays.stream(t.encode("<|begin_of_text|><|reserved_special_token_3|>")).boxed().toList());
    }

    private static GgufMetadata with(GgufMetadata md, String key, Object value, GgufValueType type) {
        Map<String, Object> values = new LinkedHashMap<>(md.asMap());
        Map<String, GgufValueType> types = new LinkedHashMap<>();
        values.keySet().forEach(k -> types.put(k, md.type(k)));
        values.put(key, value);
        types.put(key, type);
        return new GgufMetadata(values, types);
    }
}
