package dev.sptsrag.inference.engine;

/**
 * How many generations an engine runs together and how much KV cache they share.
 *
 * @param maxSequences   generations in flight at once (cache sequences, logits rows per step)
 * @param kvCacheTokens  tokens the shared KV pool holds in every layer, over all sequences; 0 for
 *                       {@code maxSequences} full contexts (a backend with bounded memory shrinks that to what
 *                       fits, never below one full context)
 * @param prefixCache    keep the KV blocks of prompts prefilled in full, and give them to later prompts that start
 *                       with the same tokens ({@code decoder.PrefixCache})
 */
public record BatchSettings(int maxSequences, int kvCacheTokens, boolean prefixCache) {
    /**
     * One generation at a time, with a cache for one full context and no prefix reuse (a benchmark or an
     * evaluation that repeats a prompt measures its prefill every time).
     */
    public static final BatchSettings SINGLE = new BatchSettings(1, 0, false);

    public BatchSettings {
        if (maxSequences < 1) {
            throw new IllegalArgumentException("max sequences must be >= 1, was " + maxSequences);
        }
        if (kvCacheTokens < 0) {
            throw new IllegalArgumentException("KV cache tokens must not be negative, was " + kvCacheTokens);
        }
    }
}
