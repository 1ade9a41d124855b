package dev.sptsrag.inference.tokenizer;

import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.json.Json;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Special tokens, ordinary encoding, loading rules and long-prompt sanity. */
class TokenizerBehaviourTest {

    @Test
    void llamaSpecialTokens() {
        Tokenizer t = TokenizerFixtures.tokenizer("llama3_1");
        SpecialTokens s = t.specialTokens();
        assertEquals(128000, s.bos());
        assertEquals(128009, s.eos()); // this tokenizer_config's eos is <|eot_id|>
        assertEquals(128009, s.eot());
        assertEquals(-1, s.pad());
        assertTrue(s.addBos());
        assertFalse(s.addEos());
        assertEquals(List.of(128001, 128009), s.endOfGeneration()); // <|end_of_text|>, <|eot_id|>
        assertTrue(s.isEndOfGeneration(128001));
        assertFalse(s.isEndOfGeneration(128000));
        assertEquals(128256, t.vocabSize());
        assertEquals(PreTokenizer.LLAMA3, t.preTokenizer());
        assertTrue(t.ignoresMerges());
        assertFalse(t.normalizesNfc());
    }

    @Test
    void qwenSpecialTokens() {
        Tokenizer t = TokenizerFixtures.tokenizer("qwen3");
        SpecialTokens s = t.specialTokens();
        assertEquals(-1, s.bos());
        assertEquals(151645, s.eos());
        assertEquals(151645, s.eot());
        assertEquals(151643, s.pad());
        assertFalse(s.addBos());
        assertEquals(List.of(151643, 151645), s.endOfGeneration()); // <|endoftext|>, <|im_end|>
        assertEquals(151669, t.vocabSize());
        assertEquals(TokenType.CONTROL, t.tokenType(151645));
        assertEquals(TokenType.USER_DEFINED, t.tokenType(t.tokenId("<think>")));
        assertTrue(t.normalizesNfc());
    }

    @Test
    void specialTextIsMatchedByEncodeButNotByEncodeOrdinary() {
        Tokenizer t = TokenizerFixtures.tokenizer("qwen3");
        String text = "a<|im_end|>b<think>c";
        int[] ids = t.encode(text);
        assertTrue(contains(ids, 151645));
        assertTrue(contains(ids, t.tokenId("<think>")));
        int[] ordinary = t.encodeOrdinary(text);
        assertFalse(contains(ordinary, 151645), Arrays.toString(ordinary));
        assertTrue(contains(ordinary, t.tokenId("<think>")), "non-special added tokens stay matched");
        assertEquals(text, t.decode(ordinary));
        assertEquals(text, t.decode(ids));
    }

    @Test
    void longestAddedTokenWinsAndTokenTextIsTheVocabularyForm() {
        Tokenizer t = TokenizerFixtures.tokenizer("llama3_1");
        assertArrayEquals(new int[] {128005, 128002}, t.encode("<|reserved_special_token_3|><|reserved_special_token_0|>"));
        int r10 = t.tokenId("<|reserved_special_token_10|>");
        assertArrayEquals(new int[] {r10, 128003}, t.encode("<|reserved_special_token_10|><|reserved_special_token_1|>"));
        int the = t.encode(" the")[0];
        assertEquals("Ġthe", t.tokenText(the));
        assertEquals(the, t.tokenId("Ġthe"));
        assertEquals(" the", t.decode(new int[] {the}));
        assertEquals("<|eot_id|>", t.tokenText(128009));
        assertThrows(IllegalArgumentException.class, () -> t.decode(new int[] {128256}));
        assertThrows(IllegalArgumentException.class, () -> t.tokenText(-1));
    }

    @Test
    void loneSurrogatesEncodeAsReplacementCharacter() {
        Tokenizer t = TokenizerFixtures.tokenizer("qwen3");
        assertArrayEquals(t.encode("a\uFFFDb"), t.encode("a\uD800b"));
        assertArrayEquals(t.encode("\uFFFD"), t.encode("\uDC00"));
    }

    @Test
    void streamDecoderHoldsIncompleteCharactersAndReplacesInvalidBytes() {
        Tokenizer t = TokenizerFixtures.tokenizer("llama3_1");
        int[] ids = t.encode("😀");
        assertTrue(ids.length > 1, "the emoji is split over byte tokens");
        TokenStreamDecoder d = t.newStreamDecoder();
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < ids.length - 1; i++) {
            assertEquals("", d.append(ids[i]));
        }
        assertTrue(d.hasPending());
        assertEquals("😀", d.append(ids[ids.length - 1]));
        assertFalse(d.hasPending());

        // A lead byte followed by a token that cannot continue it: U+FFFD at once, then the text.
        int lead = byteToken(t, 0xF0);
        int x = t.encode("x")[0];
        d = t.newStreamDecoder();
        assertEquals("", d.append(lead));
        sb.append(d.append(x));
        assertEquals("\uFFFDx", sb.toString());
        assertEquals(t.decode(new int[] {lead, x}), sb.toString());
        // An unfinished character at the end becomes one U+FFFD on flush.
        d = t.newStreamDecoder();
        d.append(lead);
        assertEquals("\uFFFD", d.flush());
        assertEquals("", d.flush());
    }

    /** An answer's text has no chat markup: a generated control token adds nothing; the stream decoder keeps it. */
    @Test
    void anAnswerDecoderLeavesOutControlTokensText() {
        for (String name : List.of("llama3_1", "qwen3")) {
            Tokenizer t = TokenizerFixtures.tokenizer(name);
            String marker = name.equals("llama3_1") ? "<|start_header_id|>" : "<|im_start|>";
            int control = t.tokenId(marker);
            assertEquals(TokenType.CONTROL, t.tokenType(control), name);
            int[] words = t.encode("user\n91");
            TokenStreamDecoder answer = t.newAnswerDecoder();
            TokenStreamDecoder raw = t.newStreamDecoder();
            StringBuilder a = new StringBuilder(answer.append(control));
            StringBuilder r = new StringBuilder(raw.append(control));
            for (int id : words) {
                a.append(answer.append(id));
                r.append(raw.append(id));
            }
            assertEquals("user\n91", a.toString(), name);
            assertEquals(marker + "user\n91", r.toString(), name);
        }
    }

    @Test
    void lossyDecodingReplacesEachMaximalIllFormedSubpart() {
        assertEquals("\uFFFD\uFFFD\uFFFD", Utf8.decode(bytes(0xED, 0xA0, 0x80), 0, 3)); // a surrogate
        assertEquals("\uFFFDA", Utf8.decode(bytes(0xE2, 0x82, 0x41), 0, 3)); // truncated sequence
        assertEquals("\uFFFD\uFFFD", Utf8.decode(bytes(0xC0, 0xAF), 0, 2)); // overlong
        assertEquals("\uFFFD", Utf8.decode(bytes(0xF4, 0x8F, 0xBF), 0, 3)); // incomplete at the end
        assertEquals("\uFFFD\uFFFD", Utf8.decode(bytes(0xF4, 0x90), 0, 2)); // above U+10FFFF
        assertEquals("€", Utf8.decode(bytes(0xE2, 0x82, 0xAC), 0, 3));
        StringBuilder sb = new StringBuilder();
        assertEquals(1, Utf8.decode(bytes(0x41, 0xF0, 0x9F), 0, 3, sb, true));
        assertEquals("A", sb.toString());
    }

    @Test
    void tinyParityTokenizerReproducesTheReferencePrompt() {
        for (String model : List.of("llama-gqa-rope3", "qwen2-bias-tied", "mistral-window")) {
            Path dir = TokenizerFixtures.RESOURCES.resolve("parity").resolve(model);
            Tokenizer t = Tokenizer.fromHuggingFace(dir.resolve("tokenizer.json"), dir.resolve("tokenizer_config.json"));
            Map<String, Object> ref = Json.parseObject(dir.resolve("reference.json"));
            int[] expected = TokenizerFixtures.ints(ref.get("prompt_ids"));
            int[] text = t.encode((String) ref.get("prompt_text"));
            int bos = t.specialTokens().bos();
            int[] prompt = new int[text.length + (bos >= 0 ? 1 : 0)];
            if (bos >= 0) {
                prompt[0] = bos;
            }
            System.arraycopy(text, 0, prompt, bos >= 0 ? 1 : 0, text.length);
            int[] repeated = new int[expected.length];
            for (int i = 0; i < repeated.length; i++) {
                repeated[i] = prompt[i % prompt.length];
            }
            assertArrayEquals(expected, repeated, model);
            assertTrue(t.chatTemplateSource().isPresent(), model);
        }
    }

    @Test
    void otherSplitPatternsAreUnsupported(@TempDir Path tmp) throws IOException {
        Path src = TokenizerFixtures.RESOURCES.resolve("parity/qwen2-bias-tied/tokenizer.json");
        String json = Files.readString(src).replace("\\\\p{N}|", "\\\\p{N}{1,2}|");
        Path file = tmp.resolve("tokenizer.json");
        Files.writeString(file, json);
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> Tokenizer.fromHuggingFace(file, null));
        assertTrue(e.getMessage().contains("llama-bpe, qwen2"), e.getMessage());
    }

    @Test
    void encodesAHundredThousandTokenPromptAndRoundTrips() {
        for (String name : TokenizerFixtures.REAL) {
            Tokenizer t = TokenizerFixtures.tokenizer(name);
            StringBuilder sb = new StringBuilder();
            for (TokenizerFixtures.Row row : TokenizerFixtures.expected(name)) {
                sb.append(row.decoded()).append("\n\n");
            }
            String text = sb.append(" ".repeat(20_000)).append("x".repeat(20_000)).toString();
            long start = System.nanoTime();
            int[] ids = t.encode(text);
            long ms = (System.nanoTime() - start) / 1_000_000;
            System.out.printf("%s: %d chars -> %d tokens in %d ms%n", name, text.length(), ids.length, ms);
            assertTrue(ids.length > 100_000, "prompt has " + ids.length + " tokens");
            assertEquals(text, t.decode(ids));
        }
    }

    private static int byteToken(Tokenizer t, int b) {
        return t.tokenId(String.valueOf(ByteLevel.charOf(b)));
    }

    private static byte[] bytes(int... v) {
        byte[] b = new byte[v.length];
        for (int i = 0; i < v.length; i++) {
            b[i] = (byte) v[i];
        }
        return b;
    }

    private static boolean contains(int[] ids, int id) {
        return Arrays.stream(ids).anyMatch(i -> i == id);
    }
}
