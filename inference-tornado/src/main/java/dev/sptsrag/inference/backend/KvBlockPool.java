package dev.sptsrag.inference.backend;

/**
 * The key/value blocks of a paged cache: {@link #blockCount()} blocks of {@link #blockSize()} slots of width
 * {@link #kvDim()}, each slot tagged with the position of the token it holds. One pool serves every layer and
 * every sequence; which block holds which layer's slots of which sequence is the page table's business
 * ({@link KvPages}). Position tags keep attention causal by position, whatever order the slots are in, so a
 * layer may keep only some of a sequence's tokens (token skipping).
 */
public interface KvBlockPool {
    int blockCount();

    /** Slots per block, a power of two. */
    int blockSize();

    int kvDim();

    /** Bytes of keys, values and position tags together. */
    long bytes();
}
