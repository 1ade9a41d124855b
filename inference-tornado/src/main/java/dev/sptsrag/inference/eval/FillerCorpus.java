package dev.sptsrag.inference.eval;

import java.util.ArrayList;
import java.util.List;

/**
 * The held-out filler paragraphs: line {@code i} of {@code filler.txt} with {@code i % 10 == 0}. Training
 * uses the other lines, so every evaluation context is prose the demo model has not seen.
 */
public final class FillerCorpus {
    static final String RESOURCE = "/dev/sptsrag/inference/eval/filler.txt";

    private final List<String> paragraphs;

    private FillerCorpus(List<String> paragraphs) {
        if (paragraphs.isEmpty()) {
            throw new IllegalArgumentException("the filler corpus has no held-out paragraphs");
        }
        this.paragraphs = List.copyOf(paragraphs);
    }

    /** The held-out paragraphs packaged with the engine. */
    public static FillerCorpus heldOut() {
        return heldOut(TaskVocabulary.Resources.text(RESOURCE));
    }

    /** The held-out paragraphs of a corpus text (one paragraph per line). */
    static FillerCorpus heldOut(String text) {
        String[] lines = text.split("\n", -1);
        List<String> held = new ArrayList<>();
        for (int i = 0; i < lines.length; i += 10) {
            String p = lines[i].strip();
            if (!p.isEmpty()) {
                held.add(p);
            }
        }
        return new FillerCorpus(held);
    }

    public int size() { return paragraphs.size(); }

    public String paragraph(int i) { return paragraphs.get(i); }

    public List<String> paragraphs() { return paragraphs; }
}
