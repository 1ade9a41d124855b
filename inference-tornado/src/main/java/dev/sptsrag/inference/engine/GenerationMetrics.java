package dev.sptsrag.inference.engine;

/**
 * Counts and timings of one generation. Times are nanoseconds from the start of the request;
 * {@code timeToFirstTokenNanos} includes the prefill and the first sampling step.
 */
public record GenerationMetrics(int promptTokens, int generatedTokens, long prefillNanos, long timeToFirstTokenNanos,
                                long decodeNanos) {

    public double prefillTokensPerSecond() {
        return prefillNanos == 0 ? 0 : promptTokens * 1e9 / prefillNanos;
    }

    /** Tokens after the first, over the time after the first. */
    public double decodeTokensPerSecond() {
        return generatedTokens <= 1 || decodeNanos == 0 ? 0 : (generatedTokens - 1) * 1e9 / decodeNanos;
    }

    public int totalTokens() {
        return promptTokens + generatedTokens;
    }
}
