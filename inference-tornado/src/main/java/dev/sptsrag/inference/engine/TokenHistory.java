package dev.sptsrag.inference.engine;

/**
 * Which tokens a sequence already holds, for the sampling penalties: presence in the prompt or the
 * output (repetition penalty) and occurrence counts in the output (presence/frequency penalties).
 * Sized once for the vocabulary; {@link #reset} reuses it for the next request.
 */
public final class TokenHistory {
    private final boolean[] seen;
    private final int[] generatedCounts;
    private final int[] touched;
    private int touchedCount;

    public TokenHistory(int vocabSize) {
        seen = new boolean[vocabSize];
        generatedCounts = new int[vocabSize];
        touched = new int[vocabSize];
    }

    public void reset() {
        for (int i = 0; i < touchedCount; i++) {
            seen[touched[i]] = false;
            generatedCounts[touched[i]] = 0;
        }
        touchedCount = 0;
    }

    public void addPrompt(int[] tokens, int count) {
        for (int i = 0; i < count; i++) {
            mark(tokens[i]);
        }
    }

    public void addGenerated(int token) {
        mark(token);
        generatedCounts[token]++;
    }

    private void mark(int token) {
        if (!seen[token]) {
            seen[token] = true;
            touched[touchedCount++] = token;
        }
    }

    /** Distinct tokens seen so far, in first-seen order: {@code token(0) .. token(distinct()-1)}. */
    public int distinct() { return touchedCount; }

    public int token(int i) { return touched[i]; }

    public int generatedCount(int token) { return generatedCounts[token]; }
}
