package dev.sptsrag.inference.eval;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;

/**
 * {@code cwe}: a shuffled, numbered word list without filler, five words 30 times each and as many others
 * three times each as the length allows (from the common words, then nouns, then adjectives). The
 * vocabulary bounds the list (a few thousand tokens), so long targets get the whole vocabulary and a
 * shorter prompt.
 */
final class CommonWordsTask implements TaskGenerator {
    static final int FREQUENT = 5;
    static final int FREQUENT_REPEATS = 30;
    static final int OTHER_REPEATS = 3;

    private final TaskVocabulary vocabulary;
    private final PromptFormat format;

    CommonWordsTask(TaskVocabulary vocabulary, PromptFormat format) {
        this.vocabulary = vocabulary;
        this.format = format;
    }

    @Override
    public TaskSample generate(int length, SplittableRandom rnd) {
        TaskDraws draws = new TaskDraws(vocabulary, rnd);
        List<String> frequent = draws.shuffled(vocabulary.commonWords()).subList(0, FREQUENT);
        Set<String> others = new LinkedHashSet<>();
        others.addAll(draws.shuffled(vocabulary.commonWords()));
        others.addAll(draws.shuffled(vocabulary.nouns()));
        others.addAll(draws.shuffled(vocabulary.adjectives()));
        others.removeAll(frequent);
        List<String> pool = List.copyOf(others);
        long listSeed = rnd.nextLong();
        String question = "What are the 5 most common words in the list above?";

        // The largest number of other words whose prompt fits (the count grows with the list).
        TaskSample best = sample(length, question, frequent, pool, 0, listSeed);
        if (format.tokens(best).length > length) {
            throw new IllegalArgumentException("length " + length + " is too short for task cwe: the five frequent words "
                    + "alone take " + format.tokens(best).length + " tokens");
        }
        int lo = 0, hi = pool.size();
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            TaskSample s = sample(length, question, frequent, pool, mid, listSeed);
            if (format.tokens(s).length <= length) {
                lo = mid;
                best = s;
            } else {
                hi = mid - 1;
            }
        }
        return best; // the sample of the last count that fitted: lo
    }

    private static TaskSample sample(int length, String question, List<String> frequent, List<String> pool, int others,
                                     long listSeed) {
        List<String> words = new ArrayList<>();
        for (String w : frequent) {
            for (int i = 0; i < FREQUENT_REPEATS; i++) {
                words.add(w);
            }
        }
        for (String w : pool.subList(0, others)) {
            for (int i = 0; i < OTHER_REPEATS; i++) {
                words.add(w);
            }
        }
        SplittableRandom shuffle = new SplittableRandom(listSeed);
        for (int i = words.size() - 1; i > 0; i--) {
            int j = shuffle.nextInt(i + 1);
            String t = words.get(i);
            words.set(i, words.get(j));
            words.set(j, t);
        }
        StringBuilder list = new StringBuilder();
        List<String> firstSeen = new ArrayList<>();
        for (int i = 0; i < words.size(); i++) {
            String w = words.get(i);
            if (i > 0) {
                list.append('\n');
            }
            list.append(i + 1).append(". ").append(w);
            if (frequent.contains(w) && !firstSeen.contains(w)) {
                firstSeen.add(w);
            }
        }
        return new TaskSample("cwe", length, list.toString(), question, firstSeen, null);
    }
}
