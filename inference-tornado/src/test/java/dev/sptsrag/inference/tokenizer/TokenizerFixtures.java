package dev.sptsrag.inference.tokenizer;

import dev.sptsrag.inference.json.Json;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.zip.GZIPInputStream;

/** Loads the reference tokenizers and their expected outputs (produced offline with Hugging Face). */
final class TokenizerFixtures {
    static final Path RESOURCES = Path.of("src/test/resources");
    static final Path TOKENIZERS = RESOURCES.resolve("tokenizers");
    static final List<String> REAL = List.of("llama3_1", "qwen3");

    private static final Map<String, Tokenizer> LOADED = new ConcurrentHashMap<>();

    private TokenizerFixtures() {
    }

    /** One row of expected.jsonl.gz. */
    record Row(String text, int[] ids, int[] idsWithSpecial, String decoded) {
    }

    /** A real tokenizer, loaded once per JVM (its tokenizer.json is stored gzip-compressed). */
    static Tokenizer tokenizer(String name) {
        return LOADED.computeIfAbsent(name, n -> {
            try {
                Path dir = Files.createTempDirectory("tok-" + n);
                Path json = dir.resolve("tokenizer.json");
                try (InputStream in = new GZIPInputStream(Files.newInputStream(TOKENIZERS.resolve(n).resolve("tokenizer.json.gz")))) {
                    Files.copy(in, json);
                }
                Tokenizer t = Tokenizer.fromHuggingFace(json, TOKENIZERS.resolve(n).resolve("tokenizer_config.json"));
                Files.delete(json);
                Files.delete(dir);
                return t;
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        });
    }

    static List<Row> expected(String name) {
        List<Row> rows = new ArrayList<>();
        for (Map<String, Object> o : jsonLines(TOKENIZERS.resolve(name).resolve("expected.jsonl.gz"))) {
            rows.add(new Row((String) o.get("text"), ints(o.get("ids")), ints(o.get("ids_with_special")),
                    (String) o.get("decoded")));
        }
        return rows;
    }

    static List<Map<String, Object>> jsonLines(Path file) {
        List<Map<String, Object>> out = new ArrayList<>();
        try (InputStream raw = Files.newInputStream(file);
             InputStream in = file.toString().endsWith(".gz") ? new GZIPInputStream(raw) : raw;
             BufferedReader r = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            int n = 0;
            while ((line = r.readLine()) != null) {
                n++;
                if (!line.isBlank()) {
                    out.add(Json.parseObject(line, file + ":" + n));
                }
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return out;
    }

    static int[] ints(Object list) {
        return ((List<?>) list).stream().mapToInt(v -> ((Number) v).intValue()).toArray();
    }

    /** A short, printable description of a string for failure messages. */
    static String show(String s) {
        StringBuilder sb = new StringBuilder("\"");
        s.codePoints().limit(120).forEach(cp -> {
            if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0) || Character.getType(cp) == Character.FORMAT) {
                sb.append(String.format("\\u%04x", cp));
            } else {
                sb.appendCodePoint(cp);
            }
        });
        return sb.append(s.codePointCount(0, s.length()) > 120 ? "...\"" : "\"").toString();
    }
}
