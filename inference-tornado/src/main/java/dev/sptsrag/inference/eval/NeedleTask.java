package dev.sptsrag.inference.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The needle-in-a-haystack families: needles {@code The special magic number for {key} is {value}.} among
 * filler, as one table of variants (docs/tasks.md).
 */
final class NeedleTask implements TaskGenerator {

    /** What differs between the needle families. */
    enum Variant {
        /** One needle, asked for. */
        SINGLE("niah_single", 1, Template.MAGIC_NUMBER),
        /** Four needles with distinct keys; one is asked for. */
        MULTIKEY("niah_multikey", 4, Template.MAGIC_NUMBER),
        /** Four needles with the same key and distinct values; all are asked for. */
        MULTIVALUE("niah_multivalue", 4, Template.MAGIC_NUMBER),
        /** Four needles with distinct keys; all are asked for in one question. */
        MULTIQUERY("niah_multiquery", 4, Template.MAGIC_NUMBER),
        /** One needle in a template never seen in training. */
        UNSEEN("niah_unseen", 1, Template.SECRET_PASSCODE);

        final String task;
        final int needles;
        final Template template;

        Variant(String task, int needles, Template template) {
            this.task = task;
            this.needles = needles;
            this.template = template;
        }
    }

    /** A needle sentence and its single-key question. */
    enum Template {
        MAGIC_NUMBER("The special magic number for %s is %s.", "What is the special magic number for %s?"),
        SECRET_PASSCODE("The secret passcode of %s is %s.", "What is the secret passcode of %s?");

        final String needle;
        final String question;

        Template(String needle, String question) {
            this.needle = needle;
            this.question = question;
        }
    }

    private final Variant variant;
    private final TaskVocabulary vocabulary;
    private final Haystack haystack;

    NeedleTask(Variant variant, TaskVocabulary vocabulary, Haystack haystack) {
        this.variant = variant;
        this.vocabulary = vocabulary;
        this.haystack = haystack;
    }

    @Override
    public TaskSample generate(int length, SplittableRandom rnd) {
        TaskDraws draws = new TaskDraws(vocabulary, rnd);
        int n = variant.needles;
        String sharedKey = variant == Variant.MULTIVALUE ? draws.key() : null;
        List<String> keys = new ArrayList<>(n);
        List<String> values = new ArrayList<>(n);
        List<List<String>> needles = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            String key = sharedKey != null ? sharedKey : draws.key();
            String value = draws.magicNumber();
            keys.add(key);
            values.add(value);
            needles.add(List.of(variant.template.needle.formatted(key, value))); // each needle at its own depth
        }
        String question;
        List<Integer> asked; // needle indices whose values answer, in answer order (before placement for MULTIVALUE)
        switch (variant) {
            case MULTIVALUE -> {
                question = "What are all the special magic numbers for " + sharedKey + "?";
                asked = null;
            }
            case MULTIQUERY -> {
                asked = draws.shuffled(List.of(0, 1, 2, 3));
                question = "What are the special magic numbers for " + keys.get(asked.get(0)) + ", "
                        + keys.get(asked.get(1)) + ", " + keys.get(asked.get(2)) + " and " + keys.get(asked.get(3)) + "?";
            }
            default -> {
                asked = List.of(draws.random().nextInt(n));
                question = variant.template.question.formatted(keys.get(asked.get(0)));
            }
        }
        TaskSample skeleton = new TaskSample(variant.task, length, "", question, List.of("?"), null);
        Haystack.Fitted fitted = haystack.fit(skeleton, needles, ContextLayout.PLAIN, draws.random());
        List<String> answers = new ArrayList<>();
        if (asked == null) { // all values in context order
            Integer[] order = new Integer[n];
            for (int i = 0; i < n; i++) {
                order[i] = i;
            }
            java.util.Arrays.sort(order, java.util.Comparator.comparingInt(i -> fitted.itemParagraph()[i][0]));
            for (int i : order) {
                answers.add(values.get(i));
            }
        } else {
            for (int i : asked) {
                answers.add(values.get(i));
            }
        }
        TaskSample s = fitted.sample();
        return new TaskSample(s.task(), s.length(), s.context(), s.question(), answers, null);
    }
}
