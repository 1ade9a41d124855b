package dev.sptsrag.inference.backend;

/**
 * One layer's key and value cache: {@link #capacity()} slots of width {@link #kvDim()}, each slot
 * tagged with the position of the token it holds. Positions make the cache independent of slot order,
 * so a layer may keep only some tokens (token skipping) and attention stays causal by position.
 */
public interface KvCacheLayer {
    int capacity();

    int kvDim();

    /** Bytes of keys and values together. */
    long bytes();
}
