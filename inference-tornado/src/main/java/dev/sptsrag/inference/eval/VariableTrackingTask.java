package dev.sptsrag.inference.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * {@code vt}: a chain of five assignments {@code VAR A = value.}, {@code VAR B = VAR A.}, … in increasing
 * depth, and a distractor chain of three with another value; which variables hold the value?
 */
final class VariableTrackingTask implements TaskGenerator {
    static final int CHAIN = 5;
    static final int DISTRACTOR_CHAIN = 3;

    private final TaskVocabulary vocabulary;
    private final Haystack haystack;

    VariableTrackingTask(TaskVocabulary vocabulary, Haystack haystack) {
        this.vocabulary = vocabulary;
        this.haystack = haystack;
    }

    @Override
    public TaskSample generate(int length, SplittableRandom rnd) {
        TaskDraws draws = new TaskDraws(vocabulary, rnd);
        String value = draws.magicNumber();
        List<String> names = new ArrayList<>();
        List<String> chain = chain(draws, CHAIN, value, names);
        List<String> distractor = chain(draws, DISTRACTOR_CHAIN, draws.magicNumber(), new ArrayList<>());
        TaskSample skeleton = new TaskSample("vt", length, "", "Which variables are assigned the value " + value + "?",
                List.of("?"), null);
        TaskSample s = haystack.fit(skeleton, List.of(chain, distractor), ContextLayout.PLAIN, draws.random()).sample();
        return new TaskSample(s.task(), s.length(), s.context(), s.question(), names, null);
    }

    private static List<String> chain(TaskDraws draws, int length, String value, List<String> names) {
        List<String> lines = new ArrayList<>();
        String previous = null;
        for (int i = 0; i < length; i++) {
            String name = draws.variableName();
            names.add(name);
            lines.add(previous == null ? "VAR " + name + " = " + value + "." : "VAR " + name + " = VAR " + previous + ".");
            previous = name;
        }
        return lines;
    }
}
