package dev.sptsrag.inference.eval;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/** The values a sample draws, each distinct within the sample (docs/tasks.md). */
final class TaskDraws {
    private final TaskVocabulary vocabulary;
    private final SplittableRandom rnd;
    private final Set<String> used = new HashSet<>();

    TaskDraws(TaskVocabulary vocabulary, SplittableRandom rnd) {
        this.vocabulary = vocabulary;
        this.rnd = rnd;
    }

    SplittableRandom random() { return rnd; }

    TaskVocabulary vocabulary() { return vocabulary; }

    /** {@code {adjective}-{noun}}. */
    String key() {
        return distinct(() -> pick(vocabulary.adjectives()) + "-" + pick(vocabulary.nouns()));
    }

    /** A 7-digit integer in [1000000, 9999999]. */
    String magicNumber() {
        return distinct(() -> Integer.toString(1_000_000 + rnd.nextInt(9_000_000)));
    }

    /** Five upper-case ASCII letters. */
    String variableName() {
        return distinct(() -> {
            char[] c = new char[5];
            for (int i = 0; i < c.length; i++) {
                c[i] = (char) ('A' + rnd.nextInt(26));
            }
            return new String(c);
        });
    }

    /** {@code {First} {Last}}. */
    String fullName() {
        return distinct(() -> pick(vocabulary.firstNames()) + " " + pick(vocabulary.lastNames()));
    }

    String pick(List<String> words) {
        return words.get(rnd.nextInt(words.size()));
    }

    int between(int lowInclusive, int highInclusive) {
        return lowInclusive + rnd.nextInt(highInclusive - lowInclusive + 1);
    }

    /** A random permutation of {@code items}. */
    <T> List<T> shuffled(List<T> items) {
        List<T> out = new ArrayList<>(items);
        for (int i = out.size() - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            T t = out.get(i);
            out.set(i, out.get(j));
            out.set(j, t);
        }
        return out;
    }

    private String distinct(java.util.function.Supplier<String> draw) {
        for (int attempt = 0; attempt < 10_000; attempt++) {
            String v = draw.get();
            if (used.add(v)) {
                return v;
            }
        }
        throw new IllegalStateException("the vocabulary has too few distinct values for this sample");
    }
}
