package dev.sptsrag.inference.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The backend's CUDA C kernels ({@link #SOURCES}, joined into one source): compiled by NVRTC for the
 * device's compute capability (or taken from the PTX cache, keyed by the joined source), loaded as one
 * module, and launched with the grid and block each kernel's comment in the source prescribes. Each
 * kernel keeps its own argument block, so a launch allocates nothing. Which kernels exist is
 * {@link CudaKernel}.
 */
final class CudaKernels implements AutoCloseable {
    /** The kernel sources by topic, in the order they are joined: helpers first, each file after what it uses. */
    static final List<String> SOURCES = List.of("common.cuh", "elementwise.cu", "attention.cu", "sampling.cu", "spts.cu");

    /** The joined source's name in NVRTC's messages and in the PTX cache's file names. */
    static final String PROGRAM = "kernels.cu";

    private static final int BLOCK = 256;

    private final CudaDevice device;
    private final MemorySegment module;
    private final int maxGrid;
    private final Kernel[] kernels = new Kernel[CudaKernel.values().length];

    /** A kernel function with its reusable argument block. */
    private record Kernel(MemorySegment function, KernelArgs args) {
    }

    private CudaKernels(CudaDevice device, MemorySegment module) {
        this.device = device;
        this.module = module;
        // Grid-stride kernels: enough blocks to fill every SM several times, no more.
        this.maxGrid = device.multiprocessors() * 16;
        for (CudaKernel k : CudaKernel.values()) {
            kernels[k.ordinal()] = new Kernel(device.driver().function(module, k.symbol()),
                    new KernelArgs(device.arena(), k.argumentCount()));
        }
    }

    /** Compiles (or takes from the cache) and loads the kernels for {@code device}. */
    static CudaKernels load(CudaDevice device, java.nio.file.Path cacheDirectory) {
        String ptx = device.compile(source(), PROGRAM, cacheDirectory);
        return new CudaKernels(device, device.driver().moduleLoadData(ptx));
    }

    /** The joined CUDA C source, as shipped in the jar. */
    static String source() {
        StringBuilder joined = new StringBuilder();
        for (String file : SOURCES) {
            joined.append(source(file));
        }
        return joined.toString();
    }

    /** One file of {@link #SOURCES}. */
    static String source(String file) {
        try (InputStream in = CudaKernels.class.getResourceAsStream(file)) {
            if (in == null) {
                throw new IllegalStateException(file + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Kernel k(CudaKernel kernel) {
        return kernels[kernel.ordinal()];
    }

    private int gridFor(long n) {
        return (int) Math.max(1, Math.min((n + BLOCK - 1) / BLOCK, maxGrid));
    }

    private void launch(Kernel k, int gx, int gy, int gz, int block) {
        device.driver().launch(k.function(), gx, gy, gz, block, 1, 1, 0, device.stream(), k.args());
    }

    // ---- element-wise -------------------------------------------------------------------------

    void convertF32ToBf16(long src, long dst, long n) {
        k(CudaKernel.CONVERT_F32_TO_BF16).args().setPointer(0, src).setPointer(1, dst).set(2, n);
        launch(k(CudaKernel.CONVERT_F32_TO_BF16), gridFor(n), 1, 1, BLOCK);
    }

    void embedRows(long table, long tokens, long out, int rows, int cols) {
        k(CudaKernel.EMBED_ROWS).args().setPointer(0, table).setPointer(1, tokens).setPointer(2, out).setInt(3, rows).setInt(4, cols);
        launch(k(CudaKernel.EMBED_ROWS), gridFor((long) rows * cols), 1, 1, BLOCK);
    }

    void rmsNorm(long x, long weight, long out, int rows, int cols, float eps) {
        k(CudaKernel.RMS_NORM).args().setPointer(0, x).setPointer(1, weight).setPointer(2, out).setInt(3, rows).setInt(4, cols)
                .setFloat(5, eps);
        launch(k(CudaKernel.RMS_NORM), rows, 1, 1, BLOCK);
    }

    /** One warp per head, four heads per block (the kernel's comment says why). */
    void headRmsNorm(long x, long weight, int rows, int heads, int width, float eps) {
        k(CudaKernel.HEAD_RMS_NORM).args().setPointer(0, x).setPointer(1, weight).setInt(2, rows).setInt(3, heads)
                .setInt(4, width).setFloat(5, eps);
        long warps = (long) rows * heads;
        launch(k(CudaKernel.HEAD_RMS_NORM), Math.toIntExact((warps + 3) / 4), 1, 1, 128);
    }

    void addBias(long x, long bias, int rows, int cols) {
        k(CudaKernel.ADD_BIAS).args().setPointer(0, x).setPointer(1, bias).setInt(2, rows).setInt(3, cols);
        launch(k(CudaKernel.ADD_BIAS), gridFor((long) rows * cols), 1, 1, BLOCK);
    }

    void rope(long x, long inverseFrequencies, long positions, int rows, int heads, int headDim, boolean interleaved) {
        k(CudaKernel.ROPE).args().setPointer(0, x).setPointer(1, inverseFrequencies).setPointer(2, positions).setInt(3, rows)
                .setInt(4, heads).setInt(5, headDim).setInt(6, interleaved ? 1 : 0);
        launch(k(CudaKernel.ROPE), gridFor((long) rows * heads * (headDim / 2)), 1, 1, BLOCK);
    }

    void swiglu(long gate, long up, long out, long n) {
        k(CudaKernel.SWIGLU).args().setPointer(0, gate).setPointer(1, up).setPointer(2, out).set(3, n);
        launch(k(CudaKernel.SWIGLU), gridFor(n), 1, 1, BLOCK);
    }

    void addRows(long acc, long x, long n) {
        k(CudaKernel.ADD_ROWS).args().setPointer(0, acc).setPointer(1, x).set(2, n);
        launch(k(CudaKernel.ADD_ROWS), gridFor(n), 1, 1, BLOCK);
    }

    /**
     * Rows of {@code k} / {@code v} into one layer of a paged cache ({@code filled} and {@code tables} at the
     * layer's entries): one block per row.
     */
    void storeKv(long k, long v, long keys, long values, long slotPositions, long positions, long kvRows, long filled,
                 long tables, int rows, int kvDim, int layers, int maxBlocks, int blockShift) {
        k(CudaKernel.STORE_KV).args().setPointer(0, k).setPointer(1, v).setPointer(2, keys).setPointer(3, values)
                .setPointer(4, slotPositions).setPointer(5, positions).setPointer(6, kvRows).setPointer(7, filled)
                .setPointer(8, tables).setInt(9, rows).setInt(10, kvDim).setInt(11, layers).setInt(12, maxBlocks)
                .setInt(13, blockShift);
        launch(k(CudaKernel.STORE_KV), Math.max(1, Math.min(rows, maxGrid)), 1, 1, BLOCK);
    }

    // ---- attention ----------------------------------------------------------------------------

    /**
     * Tensor-core flash attention for head widths 64 and 128, rows of one sequence whose block table for the layer
     * starts at {@code table}: 64 query rows per block, 4 warps.
     */
    void attentionPrefill(int headDim, long q, long keys, long values, long slotPositions, long queryPositions,
                          long out, long table, int rows, int slotCount, int heads, int kvHeads, float scale, int window,
                          int layers, int blockShift) {
        Kernel kernel = k(headDim == 64 ? CudaKernel.ATTENTION_PREFILL_HD64 : CudaKernel.ATTENTION_PREFILL_HD128);
        kernel.args().setPointer(0, q).setPointer(1, keys).setPointer(2, values).setPointer(3, slotPositions)
                .setPointer(4, queryPositions).setPointer(5, out).setPointer(6, table).setInt(7, rows)
                .setInt(8, slotCount).setInt(9, heads).setInt(10, kvHeads).setFloat(11, scale).setInt(12, window)
                .setInt(13, layers).setInt(14, blockShift);
        launch(kernel, (rows + 63) / 64, heads, 1, 128);
    }

    /** Rows of one sequence, any head width up to 256, as {@link #attentionPrefill}. */
    void attentionGeneric(long q, long keys, long values, long slotPositions, long queryPositions, long out, long table,
                          int rows, int slotCount, int heads, int kvHeads, int headDim, float scale, int window,
                          int layers, int blockShift) {
        k(CudaKernel.ATTENTION_GENERIC).args().setPointer(0, q).setPointer(1, keys).setPointer(2, values)
                .setPointer(3, slotPositions).setPointer(4, queryPositions).setPointer(5, out).setPointer(6, table)
                .setInt(7, rows).setInt(8, slotCount).setInt(9, heads).setInt(10, kvHeads).setInt(11, headDim)
                .setFloat(12, scale).setInt(13, window).setInt(14, layers).setInt(15, blockShift);
        launch(k(CudaKernel.ATTENTION_GENERIC), rows, heads, 1, 128);
    }

    /**
     * Flash-decoding: {@code splits} blocks per (row, head) over the slots, then a merge. Each row reads its own
     * sequence ({@code kvRows}; {@code filled} and {@code tables} at the layer's entries); rows whose sequence has
     * more than {@code maxRunRows} rows in the step are left to another launch.
     */
    void attentionDecode(long q, long keys, long values, long slotPositions, long queryPositions, long kvRows,
                         long filled, long tables, long partials, long partialMax, long partialSum, long out, int rows,
                         int maxRunRows, int heads, int kvHeads, int headDim, float scale, int window,
                         int slotsPerSplit, int splits, int layers, int maxBlocks, int blockShift) {
        k(CudaKernel.ATTENTION_DECODE_PARTIAL).args().setPointer(0, q).setPointer(1, keys).setPointer(2, values)
                .setPointer(3, slotPositions).setPointer(4, queryPositions).setPointer(5, kvRows).setPointer(6, filled)
                .setPointer(7, tables).setPointer(8, partials).setPointer(9, partialMax).setPointer(10, partialSum)
                .setInt(11, rows).setInt(12, maxRunRows).setInt(13, heads).setInt(14, kvHeads).setInt(15, headDim)
                .setFloat(16, scale).setInt(17, window).setInt(18, slotsPerSplit).setInt(19, layers)
                .setInt(20, maxBlocks).setInt(21, blockShift);
        launch(k(CudaKernel.ATTENTION_DECODE_PARTIAL), splits, heads, rows, 128);
        k(CudaKernel.ATTENTION_DECODE_COMBINE).args().setPointer(0, partials).setPointer(1, partialMax)
                .setPointer(2, partialSum).setPointer(3, kvRows).setPointer(4, out).setInt(5, rows)
                .setInt(6, maxRunRows).setInt(7, heads).setInt(8, headDim).setInt(9, splits);
        launch(k(CudaKernel.ATTENTION_DECODE_COMBINE), heads, rows, 1, (headDim + 31) / 32 * 32);
    }

    // ---- sampling support ---------------------------------------------------------------------

    void argmaxRow(long logits, int n, long outIndex, long outValue) {
        k(CudaKernel.ARGMAX_ROW).args().setPointer(0, logits).setInt(1, n).setPointer(2, outIndex).setPointer(3, outValue);
        launch(k(CudaKernel.ARGMAX_ROW), 1, 1, 1, 1024);
    }

    void topKRow(long logits, int n, int k, long outIds, long outValues) {
        k(CudaKernel.TOP_K_ROW).args().setPointer(0, logits).setInt(1, n).setInt(2, k).setPointer(3, outIds).setPointer(4, outValues);
        launch(k(CudaKernel.TOP_K_ROW), 1, 1, 1, 1024);
    }

    // ---- token subsets (SPTS) -----------------------------------------------------------------

    void gatherRows(long src, long rows, long dst, int count, int cols) {
        k(CudaKernel.GATHER_ROWS).args().setPointer(0, src).setPointer(1, rows).setPointer(2, dst).setInt(3, count).setInt(4, cols);
        launch(k(CudaKernel.GATHER_ROWS), gridFor((long) count * cols), 1, 1, BLOCK);
    }

    void scatterAddRows(long src, long rows, long dst, int count, int cols) {
        k(CudaKernel.SCATTER_ADD_ROWS).args().setPointer(0, src).setPointer(1, rows).setPointer(2, dst).setInt(3, count)
                .setInt(4, cols);
        launch(k(CudaKernel.SCATTER_ADD_ROWS), gridFor((long) count * cols), 1, 1, BLOCK);
    }

    /**
     * Mean over query heads of each head's softmax over the keys; {@code scores} must be zeroed first
     * (the heads add into it). Head groups of up to 8 query heads per KV head, head width up to 256.
     */
    void probeScores(long q, long k, long keyPositions, int queryPosition, long logits, long scores, int count,
                     int heads, int kvHeads, int headDim, float scale, int window) {
        if (heads / kvHeads * headDim > 8 * 256) {
            throw new IllegalArgumentException("probe supports up to 8 query heads of width 256 per KV head");
        }
        k(CudaKernel.PROBE_LOGITS).args().setPointer(0, q).setPointer(1, k).setPointer(2, keyPositions).setInt(3, queryPosition)
                .setPointer(4, logits).setInt(5, count).setInt(6, heads).setInt(7, kvHeads).setInt(8, headDim)
                .setFloat(9, scale).setInt(10, window);
        launch(k(CudaKernel.PROBE_LOGITS), (count + 63) / 64, kvHeads, 1, BLOCK);
        k(CudaKernel.PROBE_SOFTMAX).args().setPointer(0, logits).setPointer(1, scores).setInt(2, count).setInt(3, heads);
        launch(k(CudaKernel.PROBE_SOFTMAX), heads, 1, 1, 1024);
    }

    void rowNorms(long x, long out, int rows, int cols) {
        k(CudaKernel.ROW_NORMS).args().setPointer(0, x).setPointer(1, out).setInt(2, rows).setInt(3, cols);
        launch(k(CudaKernel.ROW_NORMS), rows, 1, 1, BLOCK);
    }

    // ---- LTP on the device ---------------------------------------------------------------------

    /** {@code outBf16} 0 (null): the float32 rows only. */
    void gatherRmsNorm(long x, long rows, long weight, long out, long outBf16, int count, int cols, float eps) {
        k(CudaKernel.GATHER_RMS_NORM).args().setPointer(0, x).setPointer(1, rows).setPointer(2, weight).setPointer(3, out)
                .setPointer(4, outBf16).setInt(5, count).setInt(6, cols).setFloat(7, eps);
        launch(k(CudaKernel.GATHER_RMS_NORM), count, 1, 1, BLOCK);
    }

    void swigluHalves(long in, long out, int rows, int half) {
        k(CudaKernel.SWIGLU_HALVES).args().setPointer(0, in).setPointer(1, out).setInt(2, rows).setInt(3, half);
        launch(k(CudaKernel.SWIGLU_HALVES), gridFor((long) rows * half), 1, 1, BLOCK);
    }

    /** {@code factors} 0 (null): plain norms. */
    void rowNormsScaled(long x, long factors, long out, int rows, int cols) {
        k(CudaKernel.ROW_NORMS_SCALED).args().setPointer(0, x).setPointer(1, factors).setPointer(2, out).setInt(3, rows).setInt(4, cols);
        launch(k(CudaKernel.ROW_NORMS_SCALED), rows, 1, 1, BLOCK);
    }

    /** One block: the forced ranges and {@code need} come from {@code TopSelector.forced}. */
    void selectTopRows(long scores, int n, int need, int sinkEnd, int recentBegin, long out, long outCount) {
        k(CudaKernel.SELECT_TOP_ROWS).args().setPointer(0, scores).setInt(1, n).setInt(2, need).setInt(3, sinkEnd)
                .setInt(4, recentBegin).setPointer(5, out).setPointer(6, outCount);
        launch(k(CudaKernel.SELECT_TOP_ROWS), 1, 1, 1, 1024);
    }

    @Override
    public void close() {
        device.driver().moduleUnload(module);
    }
}
