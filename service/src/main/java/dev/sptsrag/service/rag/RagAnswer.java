package dev.sptsrag.service.rag;

import dev.sptsrag.retrieval.context.Citation;
import dev.sptsrag.service.ai.SkipSpec;

import java.util.List;

/**
 * The answer to a {@link RagQuestion} with the sources it was given and what producing it cost.
 *
 * @param citations one per numbered source block of the prompt, in its order ({@code label} is the number)
 */
public record RagAnswer(String answer, String finishReason, List<Citation> citations, Context context, Usage usage,
                        Timings timings, Skip skip) {

    /**
     * @param retrievedChunks   chunks the search returned
     * @param tokensUsed        tokens of the context text
     * @param tokenBudget       the budget it was built to (see {@link RagService} for how)
     * @param omittedChunks     retrieved chunks that did not fit
     * @param duplicatesDropped retrieved chunks whose text was already in the context
     */
    public record Context(int retrievedChunks, long totalHits, int tokensUsed, int tokenBudget, int omittedChunks,
                          int duplicatesDropped) {
    }

    public record Usage(int promptTokens, int completionTokens, int totalTokens) {
    }

    /** Milliseconds, and the engine's throughput in tokens per second. */
    public record Timings(double retrievalMs, double queueMs, double ttftMs, double prefillMs, double decodeMs,
                          double totalMs, double prefillTokensPerSecond, double decodeTokensPerSecond) {
    }

    /**
     * @param budget            the skip budget resolved against the model (the request's form), null without one
     * @param effective         whether the budget skipped anything for this prompt; null without a budget
     * @param reason            why it skipped nothing, when it did not
     * @param skippedTokenRatio share of prompt-token rows (layers × tokens) left out of attention
     * @param attentionActive   prompt tokens active in each layer's attention, null without skipping
     * @param kvBytesKept       KV cache bytes kept after the prefill (0 without skipping)
     */
    public record Skip(SkipSpec.Explicit budget, Boolean effective, String reason, double skippedTokenRatio,
                       int[] attentionActive, long kvBytesKept, long kvBytesFull) {
    }
}
