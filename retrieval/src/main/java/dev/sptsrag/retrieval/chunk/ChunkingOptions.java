package dev.sptsrag.retrieval.chunk;

import java.util.Locale;

/**
 * How {@link Chunker} cuts documents.
 *
 * @param maxTokens     the most tokens a chunk may hold; every chunk respects it
 * @param overlapTokens at most this many tokens (whole sentences) of a chunk's end repeat at the
 *                      start of the next one, so a fact that straddles a cut is whole in one chunk
 * @param locale        the language whose sentence rules split paragraphs
 */
public record ChunkingOptions(int maxTokens, int overlapTokens, Locale locale) {

    public ChunkingOptions {
        if (maxTokens < 8) {
            throw new IllegalArgumentException("maxTokens must be at least 8, got " + maxTokens);
        }
        if (overlapTokens < 0 || overlapTokens > maxTokens / 2) {
            throw new IllegalArgumentException("overlapTokens must be in [0, maxTokens / 2 = " + maxTokens / 2
                    + "], got " + overlapTokens);
        }
        if (locale == null) {
            throw new IllegalArgumentException("locale is required");
        }
    }

    public ChunkingOptions(int maxTokens, int overlapTokens) {
        this(maxTokens, overlapTokens, Locale.ENGLISH);
    }

    /** 384 tokens with 48 of overlap: a few paragraphs, fine-grained enough for BM25 to rank. */
    public static ChunkingOptions defaults() {
        return new ChunkingOptions(384, 48);
    }
}
