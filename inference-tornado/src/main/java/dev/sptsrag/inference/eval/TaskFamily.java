package dev.sptsrag.inference.eval;

import java.util.Arrays;
import java.util.Locale;
import java.util.stream.Collectors;

/** The task families of docs/tasks.md, by their names in task sets and reports. */
public enum TaskFamily {
    NIAH_SINGLE("niah_single", true),
    NIAH_MULTIKEY("niah_multikey", true),
    NIAH_MULTIVALUE("niah_multivalue", true),
    NIAH_MULTIQUERY("niah_multiquery", true),
    VT("vt", true),
    CWE("cwe", true),
    RECORDS_QA("records_qa", true),
    RAG_RECORDS("rag_records", true),
    /** A needle template never seen in training. */
    NIAH_UNSEEN("niah_unseen", false);

    /**
     * The system message of {@code rag_records}: the service's RAG instruction
     * ({@code dev.sptsrag.service.rag.RagService.SYSTEM}). The engine cannot depend on the service, so the text
     * is copied here; a service test checks that the two agree.
     */
    public static final String RAG_SYSTEM = "Answer the question using only the numbered sources. Cite the sources you "
            + "use by their numbers, like [1]. If the sources do not contain the answer, say so.";

    private final String taskName;
    private final boolean trained;

    TaskFamily(String taskName, boolean trained) {
        this.taskName = taskName;
        this.trained = trained;
    }

    /** The name in task sets, e.g. {@code niah_single}. */
    public String taskName() { return taskName; }

    /** Whether the demo model was trained on this family (else it is evaluation only). */
    public boolean trained() { return trained; }

    /** A family by its task name (case-insensitive). */
    public static TaskFamily parse(String name) {
        String n = name.trim().toLowerCase(Locale.ROOT);
        for (TaskFamily f : values()) {
            if (f.taskName.equals(n)) {
                return f;
            }
        }
        throw new IllegalArgumentException("unknown task '" + name + "'; known: "
                + Arrays.stream(values()).map(TaskFamily::taskName).collect(Collectors.joining(", ")));
    }

    TaskGenerator generator(TaskVocabulary vocabulary, Haystack haystack) {
        return switch (this) {
            case NIAH_SINGLE -> new NeedleTask(NeedleTask.Variant.SINGLE, vocabulary, haystack);
            case NIAH_MULTIKEY -> new NeedleTask(NeedleTask.Variant.MULTIKEY, vocabulary, haystack);
            case NIAH_MULTIVALUE -> new NeedleTask(NeedleTask.Variant.MULTIVALUE, vocabulary, haystack);
            case NIAH_MULTIQUERY -> new NeedleTask(NeedleTask.Variant.MULTIQUERY, vocabulary, haystack);
            case NIAH_UNSEEN -> new NeedleTask(NeedleTask.Variant.UNSEEN, vocabulary, haystack);
            case VT -> new VariableTrackingTask(vocabulary, haystack);
            case CWE -> new CommonWordsTask(vocabulary, haystack.format());
            case RECORDS_QA -> new RecordTask(false, vocabulary, haystack);
            case RAG_RECORDS -> new RecordTask(true, vocabulary, haystack);
        };
    }
}
