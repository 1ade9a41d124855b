package dev.sptsrag.inference.tokenizer;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Every conformance string must tokenise exactly as Hugging Face {@code tokenizers} did (ids with and
 * without special tokens) and decode back to HF's decode of those ids.
 */
class TokenizerConformanceTest {

    @ParameterizedTest
    @ValueSource(strings = {"llama3_1", "qwen3"})
    void encodesEveryStringLikeHuggingFace(String name) {
        Tokenizer tok = TokenizerFixtures.tokenizer(name);
        List<TokenizerFixtures.Row> rows = TokenizerFixtures.expected(name);
        assertEquals(2086, rows.size());
        List<String> failures = new ArrayList<>();
        int idsOk = 0;
        int specialOk = 0;
        int decodeOk = 0;
        for (TokenizerFixtures.Row row : rows) {
            int[] ids = tok.encode(row.text());
            if (Arrays.equals(ids, row.ids())) {
                idsOk++;
            } else {
                failures.add("ids " + TokenizerFixtures.show(row.text()) + "\n  expected " + Arrays.toString(row.ids())
                        + "\n  actual   " + Arrays.toString(ids));
            }
            if (Arrays.equals(tok.encode(row.text(), true), row.idsWithSpecial())) {
                specialOk++;
            } else {
                failures.add("ids_with_special " + TokenizerFixtures.show(row.text()));
            }
            String decoded = tok.decode(row.ids());
            if (decoded.equals(row.decoded())) {
                decodeOk++;
            } else {
                failures.add("decode " + TokenizerFixtures.show(row.text()) + " -> " + TokenizerFixtures.show(decoded));
            }
        }
        System.out.printf("%s: ids %d/%d, ids_with_special %d/%d, decode %d/%d%n", name, idsOk, rows.size(),
                specialOk, rows.size(), decodeOk, rows.size());
        if (!failures.isEmpty()) {
            fail(failures.size() + " mismatches, first ones:\n" + String.join("\n", failures.subList(0, Math.min(15, failures.size()))));
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"llama3_1", "qwen3"})
    void streamingDecodeAddsUpToDecodeAndNeverSplitsACharacter(String name) {
        Tokenizer tok = TokenizerFixtures.tokenizer(name);
        int held = 0;
        for (TokenizerFixtures.Row row : TokenizerFixtures.expected(name)) {
            TokenStreamDecoder d = tok.newStreamDecoder();
            StringBuilder sb = new StringBuilder();
            for (int id : row.ids()) {
                String chunk = d.append(id);
                assertTrue(chunk.isEmpty() || !Character.isHighSurrogate(chunk.charAt(chunk.length() - 1)),
                        "chunk ends in half a surrogate pair");
                sb.append(chunk);
                if (d.hasPending()) {
                    held++;
                }
            }
            sb.append(d.flush());
            assertEquals(row.decoded(), sb.toString(), () -> "stream decode of " + TokenizerFixtures.show(row.text()));
        }
        assertTrue(held > 0, "the fixtures should exercise characters split across tokens");
    }
}
