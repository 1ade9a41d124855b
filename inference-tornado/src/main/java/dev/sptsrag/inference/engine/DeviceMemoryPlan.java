package dev.sptsrag.inference.engine;

import dev.sptsrag.inference.DeviceOutOfMemoryException;
import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.decoder.ForwardPass;
import dev.sptsrag.inference.decoder.KvCache;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.spts.SptsPrefill;

/**
 * What an engine will hold on its backend, computed from the model's shapes before anything is
 * allocated: weights, the paged KV cache ({@code kvBlocks} blocks shared by the sequences that run
 * together), activations for the batch, and the backend's own workspace; the SPTS prefill's buffers for the
 * whole context; and, once a low-rank (LTP) proxy is set, its factors and scoring buffers.
 */
public record DeviceMemoryPlan(long weightBytes, long kvCacheBytes, long activationBytes, long workspaceBytes,
                               long skipBytes, long proxyBytes, long availableBytes, int kvBlocks) {

    /** The plan of an engine for one sequence at a time. */
    public static DeviceMemoryPlan of(ModelConfig c, Backend backend, int context, int batch) {
        return of(c, backend, context, batch, BatchSettings.SINGLE);
    }

    /**
     * The plan of an engine that steps {@code batch} rows and runs {@code settings.maxSequences()} sequences
     * together. Without a set size, the KV pool holds a full context for each sequence, or, on a backend with
     * bounded memory, what is left after everything else (at least one full context: a plan that cannot hold
     * one does not fit).
     */
    public static DeviceMemoryPlan of(ModelConfig c, Backend backend, int context, int batch, BatchSettings settings) {
        int hidden = c.hiddenSize();
        long weights = backend.matrixBytes(c.vocabSize(), hidden) * (c.tiedEmbeddings() ? 1 : 2);
        long perLayer = backend.matrixBytes(c.queryDim(), hidden) + 2 * backend.matrixBytes(c.kvDim(), hidden)
                + backend.matrixBytes(hidden, c.queryDim()) + 2 * backend.matrixBytes(c.intermediateSize(), hidden)
                + backend.matrixBytes(hidden, c.intermediateSize());
        // Norm scales, biases and per-head query/key norms are float32 vectors; small, but counted.
        long vectors = 4L * (2 * hidden + (c.qkvBias() ? c.queryDim() + 2L * c.kvDim() : 0)
                + (c.qkNorm() ? 2L * c.headDim() : 0));
        weights += (perLayer + vectors) * c.layerCount() + 4L * hidden;

        int sequences = settings.maxSequences();
        long activations = ForwardPass.bytes(c, backend, batch, sequences);
        int widest = Math.max(Math.max(hidden, c.queryDim()), c.intermediateSize());
        long workspace = backend.workspaceBytes(batch, widest, context, c.headCount(), c.headDim());
        // An SPTS prefill takes the whole prompt at once: its buffers are for the whole context, allocated at
        // the first request that skips, and planned here so that such a request cannot run out of memory.
        // Its whole-prompt rows also widen the backend's per-row workspace (on CUDA the BF16 copy of a GEMM's
        // input and the token ids grow from the batch's rows to the context's).
        long skip = SptsPrefill.bytes(c, backend, context)
                + Math.max(0, backend.workspaceBytes(Math.max(batch, context), widest, context, c.headCount(), c.headDim())
                        - workspace);
        int block = KvCache.DEFAULT_BLOCK_SIZE;
        int oneContext = KvCache.blocksFor(c, context, block, 1);
        long blocks = settings.kvCacheTokens() > 0
                ? KvCache.blocksFor(c, settings.kvCacheTokens(), block, 1)
                : (long) oneContext * sequences;
        long available = backend.availableBytes();
        if (settings.kvCacheTokens() == 0 && available != Long.MAX_VALUE) {
            long rest = available - weights - activations - workspace - skip
                    - KvCache.bytes(c, backend, sequences, context, 0, block);
            long fitting = rest / Math.max(1, backend.kvBlockPoolBytes(1, block, c.kvDim()));
            blocks = Math.max(oneContext, Math.min(blocks, fitting));
        }
        int kvBlocks = (int) Math.min(Integer.MAX_VALUE, Math.max(oneContext, blocks));
        long kv = KvCache.bytes(c, backend, sequences, context, kvBlocks, block);
        return new DeviceMemoryPlan(weights, kv, activations, workspace, skip, 0, available, kvBlocks);
    }

    /** This plan with an LTP proxy of {@code bytes} (factors and buffers) in place of any earlier one. */
    public DeviceMemoryPlan withProxy(long bytes) {
        return new DeviceMemoryPlan(weightBytes, kvCacheBytes, activationBytes, workspaceBytes, skipBytes, bytes,
                availableBytes, kvBlocks);
    }

    public long totalBytes() {
        return weightBytes + kvCacheBytes + activationBytes + workspaceBytes + skipBytes + proxyBytes;
    }

    public boolean fits() {
        return totalBytes() <= availableBytes;
    }

    /** @throws DeviceOutOfMemoryException carrying this plan when it does not fit */
    public void requireFits() {
        if (!fits()) {
            throw new DeviceOutOfMemoryException(toString(), totalBytes(), availableBytes);
        }
    }

    @Override
    public String toString() {
        String free = availableBytes == Long.MAX_VALUE ? "unbounded" : gib(availableBytes) + " free";
        return "weights " + gib(weightBytes) + " + KV cache " + gib(kvCacheBytes) + " (" + kvBlocks + " blocks) + activations "
                + gib(activationBytes) + " + workspace " + gib(workspaceBytes) + " + SPTS prefill " + gib(skipBytes)
                + (proxyBytes > 0 ? " + LTP proxy " + gib(proxyBytes) : "") + " = " + gib(totalBytes()) + " (" + free + ")";
    }

    private static String gib(long bytes) {
        return String.format("%.2f GiB", bytes / 1073741824.0);
    }
}
