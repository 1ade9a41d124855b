package dev.sptsrag.inference.eval;

import dev.sptsrag.inference.json.Json;
import dev.sptsrag.inference.json.JsonValues;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;

/** The word lists of {@code vocabulary.json}, shared with the demo model's training data (docs/tasks.md). */
public record TaskVocabulary(List<String> firstNames, List<String> lastNames, List<String> cities,
                             List<String> departments, List<String> months, List<String> adjectives,
                             List<String> nouns, List<String> commonWords) {

    static final String RESOURCE = "/dev/sptsrag/inference/eval/vocabulary.json";

    public TaskVocabulary {
        firstNames = List.copyOf(firstNames);
        lastNames = List.copyOf(lastNames);
        cities = List.copyOf(cities);
        departments = List.copyOf(departments);
        months = List.copyOf(months);
        adjectives = List.copyOf(adjectives);
        nouns = List.copyOf(nouns);
        commonWords = List.copyOf(commonWords);
        if (months.size() != 12) {
            throw new IllegalArgumentException("vocabulary: expected 12 months, found " + months.size());
        }
    }

    /** The vocabulary packaged with the engine. */
    public static TaskVocabulary load() {
        Map<String, Object> o = Json.parseObject(Resources.text(RESOURCE), RESOURCE);
        return new TaskVocabulary(words(o, "firstNames"), words(o, "lastNames"), words(o, "cities"),
                words(o, "departments"), words(o, "months"), words(o, "adjectives"), words(o, "nouns"),
                words(o, "commonWords"));
    }

    private static List<String> words(Map<String, Object> o, String key) {
        List<Object> list = JsonValues.array(o, key, RESOURCE);
        if (list.isEmpty()) {
            throw new IllegalArgumentException(RESOURCE + ": " + key + " is empty");
        }
        return list.stream().map(w -> {
            if (!(w instanceof String s) || s.isBlank()) {
                throw new IllegalArgumentException(RESOURCE + ": " + key + " holds a non-word: " + w);
            }
            return s;
        }).toList();
    }

    /** Reads packaged text resources. */
    static final class Resources {
        private Resources() {
        }

        static String text(String name) {
            try (InputStream in = TaskVocabulary.class.getResourceAsStream(name)) {
                if (in == null) {
                    throw new IllegalStateException("resource " + name + " is missing from the engine's jar");
                }
                return new String(in.readAllBytes(), StandardCharsets.UTF_8);
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
        }
    }
}
