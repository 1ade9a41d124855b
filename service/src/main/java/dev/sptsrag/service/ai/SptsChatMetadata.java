package dev.sptsrag.service.ai;

/**
 * Keys of the engine's figures in {@link org.springframework.ai.chat.metadata.ChatResponseMetadata}
 * (in a stream, on the last chunk). Durations are {@link java.time.Duration}s.
 */
public final class SptsChatMetadata {
    /** Time to first token, from the start of the prefill. */
    public static final String TTFT = "ttft";
    /** Time spent in the scheduler's queue before the engine took the request. */
    public static final String QUEUE_DURATION = "queue-duration";
    public static final String PREFILL_DURATION = "prefill-duration";
    /** Time after the first token. */
    public static final String DECODE_DURATION = "decode-duration";
    public static final String PREFILL_TOKENS_PER_SECOND = "prefill-tokens-per-second";
    public static final String DECODE_TOKENS_PER_SECOND = "decode-tokens-per-second";
    /** {@link AppliedSkip}: the resolved budget and whether it skipped, when the request had a budget. */
    public static final String SKIP_BUDGET = "skip-budget";
    /** {@link dev.sptsrag.inference.spts.SkipStatistics}, when the request skipped. */
    public static final String SKIP_STATISTICS = "skip-statistics";
    /** Share of prompt-token rows (layers × tokens) left out of attention; 0 without skipping. */
    public static final String SKIPPED_TOKEN_RATIO = "skipped-token-ratio";
    /** KV cache bytes kept after the prefill, and what the full prefill would have kept. */
    public static final String KV_BYTES_KEPT = "kv-bytes-kept";
    public static final String KV_BYTES_FULL = "kv-bytes-full";

    private SptsChatMetadata() {
    }
}
