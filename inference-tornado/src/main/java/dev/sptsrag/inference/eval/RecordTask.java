package dev.sptsrag.inference.eval;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * {@code records_qa} and {@code rag_records}: staff records among filler, one question about one record
 * (docs/tasks.md). {@code rag_records} lays the context out as numbered sources under the service's RAG
 * system message and expects the answer's citation as well.
 */
final class RecordTask implements TaskGenerator {

    static final int MIN_RECORDS = 4;
    static final int TOKENS_PER_RECORD = 200;

    private final boolean rag;
    private final TaskVocabulary vocabulary;
    private final Haystack haystack;

    RecordTask(boolean rag, TaskVocabulary vocabulary, Haystack haystack) {
        this.rag = rag;
        this.vocabulary = vocabulary;
        this.haystack = haystack;
    }

    /** One staff record. */
    record StaffRecord(String name, String badge, String city, String department, String born, String extension) {
        String paragraph() {
            return "Record of " + name + ": badge number " + badge + ", lives in " + city + ", works in the " + department
                    + " department, born on " + born + ", phone extension " + extension + ".";
        }
    }

    @Override
    public TaskSample generate(int length, SplittableRandom rnd) {
        TaskDraws draws = new TaskDraws(vocabulary, rnd);
        int count = Math.max(MIN_RECORDS, length / TOKENS_PER_RECORD);
        List<StaffRecord> records = new ArrayList<>(count);
        List<List<String>> items = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            StaffRecord r = new StaffRecord(draws.fullName(), Integer.toString(draws.between(10_000, 99_999)),
                    draws.pick(vocabulary.cities()), draws.pick(vocabulary.departments()),
                    draws.between(1, 28) + " " + draws.pick(vocabulary.months()) + " " + draws.between(1950, 2005),
                    Integer.toString(draws.between(1000, 9999)));
            records.add(r);
            items.add(List.of(r.paragraph()));
        }
        int asked = rnd.nextInt(count);
        StaffRecord r = records.get(asked);
        String question;
        String answer;
        switch (rnd.nextInt(5)) {
            case 0 -> {
                question = "What is the badge number of " + r.name() + "?";
                answer = r.badge();
            }
            case 1 -> {
                question = "In which city does " + r.name() + " live?";
                answer = r.city();
            }
            case 2 -> {
                question = "In which department does " + r.name() + " work?";
                answer = r.department();
            }
            case 3 -> {
                question = "When was " + r.name() + " born?";
                answer = r.born();
            }
            default -> {
                question = "What is the phone extension of " + r.name() + "?";
                answer = r.extension();
            }
        }
        if (!rag) {
            TaskSample skeleton = new TaskSample("records_qa", length, "", question, List.of("?"), null);
            TaskSample s = haystack.fit(skeleton, items, ContextLayout.PLAIN, rnd).sample();
            return new TaskSample(s.task(), s.length(), s.context(), s.question(), List.of(answer), null);
        }
        SourceBlocks blocks = new SourceBlocks(haystack.format(), rnd.split(), 1 << 12);
        TaskSample skeleton = new TaskSample("rag_records", length, "", "Question: " + question, List.of("?"), TaskFamily.RAG_SYSTEM);
        Haystack.Fitted f = haystack.fit(skeleton, items, blocks, rnd);
        String citation = "[" + blocks.blockOf(f.itemParagraph()[asked][0], f.paragraphs().size()) + "]";
        TaskSample s = f.sample();
        return new TaskSample(s.task(), s.length(), s.context(), s.question(), List.of(answer, citation), TaskFamily.RAG_SYSTEM);
    }
}
