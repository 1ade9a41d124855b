package dev.sptsrag.inference.decoder;

import dev.sptsrag.inference.backend.Activations;

/**
 * Sees what enters and what leaves the FFN's nonlinearity in every block of a {@link ForwardPass}
 * (offline work such as calibrating the LTP proxy needs per-layer FFN inputs without a second
 * implementation of the forward pass). It runs on the pass's thread, in the middle of a layer.
 */
@FunctionalInterface
public interface LayerObserver {

    /**
     * Called once per block and batch, after the SwiGLU and before the down projection. Both
     * buffers belong to the pass and are overwritten by its next ops: read them
     * ({@link dev.sptsrag.inference.backend.Backend#readRows}) before returning and never write them.
     *
     * @param layer      the block, 0-based
     * @param input      the FFN input {@code rmsnorm(x)} (the post-attention norm), rows {@code [0, rows)}
     * @param activation {@code silu(input·Wgateᵀ) ⊙ (input·Wupᵀ)}, rows {@code [0, rows)}
     * @param rows       tokens in this batch
     */
    void ffn(int layer, Activations input, Activations activation, int rows);
}
