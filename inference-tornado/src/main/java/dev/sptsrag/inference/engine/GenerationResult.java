package dev.sptsrag.inference.engine;

/** The outcome of one generation: the text (stop string excluded), its token ids, why it ended, and metrics. */
public record GenerationResult(String text, int[] tokens, FinishReason finishReason, GenerationMetrics metrics) {
    public GenerationResult {
        tokens = tokens.clone();
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }
}
