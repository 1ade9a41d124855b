package dev.sptsrag.inference.decoder;

import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.KvCacheLayer;
import dev.sptsrag.inference.model.ModelConfig;

/**
 * The key/value cache of one sequence: one {@link KvCacheLayer} per transformer block and how many
 * of its slots are filled. Layers fill independently so that a layer may keep fewer tokens than
 * another (token skipping); without skipping all layers hold every token.
 */
public final class KvCache {
    private final KvCacheLayer[] layers;
    private final int[] filled;
    private final int capacity;

    public KvCache(ModelConfig config, Backend backend, int capacity) {
        if (capacity <= 0) {
            throw new IllegalArgumentException("KV cache capacity must be positive: " + capacity);
        }
        this.capacity = capacity;
        this.layers = new KvCacheLayer[config.layerCount()];
        this.filled = new int[config.layerCount()];
        for (int l = 0; l < layers.length; l++) {
            layers[l] = backend.allocateKvCacheLayer(capacity, config.kvDim());
        }
    }

    public int capacity() { return capacity; }

    public KvCacheLayer layer(int l) { return layers[l]; }

    /** Slots filled in layer {@code l}. */
    public int filled(int l) { return filled[l]; }

    /** Records {@code slots} more filled slots in layer {@code l} (after the backend stored them). */
    public void advance(int l, int slots) {
        if (slots < 0 || filled[l] + slots > capacity) {
            throw new IllegalArgumentException("layer " + l + ": " + filled[l] + " + " + slots + " slots exceed capacity "
                    + capacity);
        }
        filled[l] += slots;
    }

    /** Forgets every token (the memory stays allocated for the next sequence). */
    public void clear() {
        java.util.Arrays.fill(filled, 0);
    }

    /** Bytes of keys and values across layers. */
    public long bytes() {
        long b = 0;
        for (KvCacheLayer l : layers) {
            b += l.bytes();
        }
        return b;
    }
}
