package dev.sptsrag.inference.engine;

import dev.sptsrag.inference.decoder.PrefillFlops;
import dev.sptsrag.inference.spts.SkipStatistics;

/**
 * The outcome of one generation: the text (stop string excluded), its token ids, why it ended,
 * metrics, what SPTS skipped (null when the prefill ran in full) and the prefill's FLOPs (null where
 * not counted).
 */
public record GenerationResult(String text, int[] tokens, FinishReason finishReason, GenerationMetrics metrics,
                               SkipStatistics skipStatistics, PrefillFlops prefillFlops) {
    public GenerationResult(String text, int[] tokens, FinishReason finishReason, GenerationMetrics metrics) {
        this(text, tokens, finishReason, metrics, null, null);
    }

    public GenerationResult(String text, int[] tokens, FinishReason finishReason, GenerationMetrics metrics,
                            SkipStatistics skipStatistics) {
        this(text, tokens, finishReason, metrics, skipStatistics, skipStatistics == null ? null : skipStatistics.flops());
    }

    public GenerationResult {
        tokens = tokens.clone();
    }

    @Override
    public int[] tokens() {
        return tokens.clone();
    }
}
