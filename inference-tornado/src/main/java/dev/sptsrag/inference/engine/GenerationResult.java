package dev.sptsrag.inference.engine;

import dev.sptsrag.inference.spts.SkipStatistics;

/**
 * The outcome of one generation: the text (stop string excluded), its token ids, why it ended,
 * metrics, and what SPTS skipped (null when the prefill ran in full).
 */
public record GenerationResult(String text, int[] tokens, FinishReason finishReason, GenerationMetrics metrics,
                               SkipStatistics skipStatistics) {
    public GenerationResult(String text, int[] tokens, FinishReason finishReason, GenerationMetrics metrics) {
        this(text, tokens, finishReason, metrics, null);
    }

    public GenerationResult {
        tokens = tokens.clone();
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }
}
