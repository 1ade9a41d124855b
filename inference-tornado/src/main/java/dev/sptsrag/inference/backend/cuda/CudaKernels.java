package dev.sptsrag.inference.backend.cuda;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.lang.foreign.MemorySegment;
import java.nio.charset.StandardCharsets;
import java.util.List;

/**
 * The backend's CUDA C kernels ({@code kernels.cu}): compiled by NVRTC for the device's compute
 * capability (or taken from the PTX cache), loaded as one module, and launched with the grid and block
 * each kernel's comment in the source prescribes. Each kernel keeps its own argument block, so a
 * launch allocates nothing.
 */
final class CudaKernels implements AutoCloseable {
    static final String RESOURCE = "kernels.cu";

    /** Every kernel the backend launches; the nvcc build test checks each is defined. */
    static final List<String> NAMES = List.of("convert_f32_to_bf16", "embed_rows", "rms_norm", "head_rms_norm",
            "add_bias", "rope",
            "swiglu", "add_rows", "store_kv", "attention_prefill_hd64", "attention_prefill_hd128", "attention_generic",
            "attention_decode_partial", "attention_decode_combine", "argmax_row", "top_k_row", "gather_rows",
            "scatter_add_rows", "probe_logits", "probe_softmax", "row_norms",
            "gather_rms_norm", "swiglu_halves", "row_norms_scaled", "select_top_rows");

    private static final int BLOCK = 256;

    private final CudaDevice device;
    private final MemorySegment module;
    private final int maxGrid;
    private final Kernel convert;
    private final Kernel embed;
    private final Kernel rmsNorm;
    private final Kernel headRmsNorm;
    private final Kernel addBias;
    private final Kernel rope;
    private final Kernel swiglu;
    private final Kernel addRows;
    private final Kernel storeKv;
    private final Kernel prefill64;
    private final Kernel prefill128;
    private final Kernel generic;
    private final Kernel decodePartial;
    private final Kernel decodeCombine;
    private final Kernel argmax;
    private final Kernel topK;
    private final Kernel gatherRows;
    private final Kernel scatterAddRows;
    private final Kernel probeLogits;
    private final Kernel probeSoftmax;
    private final Kernel rowNorms;
    private final Kernel gatherRmsNorm;
    private final Kernel swigluHalves;
    private final Kernel rowNormsScaled;
    private final Kernel selectTopRows;

    /** A kernel function with its reusable argument block. */
    private record Kernel(MemorySegment function, KernelArgs args) {
    }

    private CudaKernels(CudaDevice device, MemorySegment module) {
        this.device = device;
        this.module = module;
        // Grid-stride kernels: enough blocks to fill every SM several times, no more.
        this.maxGrid = device.multiprocessors() * 16;
        convert = kernel("convert_f32_to_bf16", 3);
        embed = kernel("embed_rows", 5);
        rmsNorm = kernel("rms_norm", 6);
        headRmsNorm = kernel("head_rms_norm", 6);
        addBias = kernel("add_bias", 4);
        rope = kernel("rope", 7);
        swiglu = kernel("swiglu", 4);
        addRows = kernel("add_rows", 3);
        storeKv = kernel("store_kv", 9);
        prefill64 = kernel("attention_prefill_hd64", 12);
        prefill128 = kernel("attention_prefill_hd128", 12);
        generic = kernel("attention_generic", 13);
        decodePartial = kernel("attention_decode_partial", 16);
        decodeCombine = kernel("attention_decode_combine", 8);
        argmax = kernel("argmax_row", 4);
        topK = kernel("top_k_row", 5);
        gatherRows = kernel("gather_rows", 5);
        scatterAddRows = kernel("scatter_add_rows", 5);
        probeLogits = kernel("probe_logits", 11);
        probeSoftmax = kernel("probe_softmax", 4);
        rowNorms = kernel("row_norms", 4);
        gatherRmsNorm = kernel("gather_rms_norm", 8);
        swigluHalves = kernel("swiglu_halves", 4);
        rowNormsScaled = kernel("row_norms_scaled", 5);
        selectTopRows = kernel("select_top_rows", 7);
    }

    /** Compiles (or takes from the cache) and loads the kernels for {@code device}. */
    static CudaKernels load(CudaDevice device, java.nio.file.Path cacheDirectory) {
        String ptx = device.compile(source(), RESOURCE, cacheDirectory);
        return new CudaKernels(device, device.driver().moduleLoadData(ptx));
    }

    /** The CUDA C source, as shipped in the jar. */
    static String source() {
        try (InputStream in = CudaKernels.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE + " is missing from the classpath");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private Kernel kernel(String name, int argCount) {
        return new Kernel(device.driver().function(module, name), new KernelArgs(device.arena(), argCount));
    }

    private int gridFor(long n) {
        return (int) Math.max(1, Math.min((n + BLOCK - 1) / BLOCK, maxGrid));
    }

    private void launch(Kernel k, int gx, int gy, int gz, int block) {
        device.driver().launch(k.function(), gx, gy, gz, block, 1, 1, 0, device.stream(), k.args());
    }

    // ---- element-wise -------------------------------------------------------------------------

    void convertF32ToBf16(long src, long dst, long n) {
        convert.args().setPointer(0, src).setPointer(1, dst).set(2, n);
        launch(convert, gridFor(n), 1, 1, BLOCK);
    }

    void embedRows(long table, long tokens, long out, int rows, int cols) {
        embed.args().setPointer(0, table).setPointer(1, tokens).setPointer(2, out).setInt(3, rows).setInt(4, cols);
        launch(embed, gridFor((long) rows * cols), 1, 1, BLOCK);
    }

    void rmsNorm(long x, long weight, long out, int rows, int cols, float eps) {
        rmsNorm.args().setPointer(0, x).setPointer(1, weight).setPointer(2, out).setInt(3, rows).setInt(4, cols)
                .setFloat(5, eps);
        launch(rmsNorm, rows, 1, 1, BLOCK);
    }

    /** One warp per head, four heads per block (the kernel's comment says why). */
    void headRmsNorm(long x, long weight, int rows, int heads, int width, float eps) {
        headRmsNorm.args().setPointer(0, x).setPointer(1, weight).setInt(2, rows).setInt(3, heads).setInt(4, width)
                .setFloat(5, eps);
        long warps = (long) rows * heads;
        launch(headRmsNorm, Math.toIntExact((warps + 3) / 4), 1, 1, 128);
    }

    void addBias(long x, long bias, int rows, int cols) {
        addBias.args().setPointer(0, x).setPointer(1, bias).setInt(2, rows).setInt(3, cols);
        launch(addBias, gridFor((long) rows * cols), 1, 1, BLOCK);
    }

    void rope(long x, long inverseFrequencies, long positions, int rows, int heads, int headDim, boolean interleaved) {
        rope.args().setPointer(0, x).setPointer(1, inverseFrequencies).setPointer(2, positions).setInt(3, rows)
                .setInt(4, heads).setInt(5, headDim).setInt(6, interleaved ? 1 : 0);
        launch(rope, gridFor((long) rows * heads * (headDim / 2)), 1, 1, BLOCK);
    }

    void swiglu(long gate, long up, long out, long n) {
        swiglu.args().setPointer(0, gate).setPointer(1, up).setPointer(2, out).set(3, n);
        launch(swiglu, gridFor(n), 1, 1, BLOCK);
    }

    void addRows(long acc, long x, long n) {
        addRows.args().setPointer(0, acc).setPointer(1, x).set(2, n);
        launch(addRows, gridFor(n), 1, 1, BLOCK);
    }

    void storeKv(long k, long v, long keys, long values, long slotPositions, long positions, int rows, int kvDim,
                 int firstSlot) {
        storeKv.args().setPointer(0, k).setPointer(1, v).setPointer(2, keys).setPointer(3, values)
                .setPointer(4, slotPositions).setPointer(5, positions).setInt(6, rows).setInt(7, kvDim).setInt(8, firstSlot);
        launch(storeKv, gridFor((long) rows * kvDim), 1, 1, BLOCK);
    }

    // ---- attention ----------------------------------------------------------------------------

    /** Tensor-core flash attention for head widths 64 and 128: 64 query rows per block, 4 warps. */
    void attentionPrefill(int headDim, long q, long keys, long values, long slotPositions, long queryPositions,
                          long out, int rows, int slotCount, int heads, int kvHeads, float scale, int window) {
        Kernel k = headDim == 64 ? prefill64 : prefill128;
        k.args().setPointer(0, q).setPointer(1, keys).setPointer(2, values).setPointer(3, slotPositions)
                .setPointer(4, queryPositions).setPointer(5, out).setInt(6, rows).setInt(7, slotCount).setInt(8, heads)
                .setInt(9, kvHeads).setFloat(10, scale).setInt(11, window);
        launch(k, (rows + 63) / 64, heads, 1, 128);
    }

    void attentionGeneric(long q, long keys, long values, long slotPositions, long queryPositions, long out, int rows,
                          int slotCount, int heads, int kvHeads, int headDim, float scale, int window) {
        generic.args().setPointer(0, q).setPointer(1, keys).setPointer(2, values).setPointer(3, slotPositions)
                .setPointer(4, queryPositions).setPointer(5, out).setInt(6, rows).setInt(7, slotCount).setInt(8, heads)
                .setInt(9, kvHeads).setInt(10, headDim).setFloat(11, scale).setInt(12, window);
        launch(generic, rows, heads, 1, 128);
    }

    /** Flash-decoding: {@code splits} blocks per (row, head) over the slots, then a merge. */
    void attentionDecode(long q, long keys, long values, long slotPositions, long queryPositions, long partials,
                         long partialMax, long partialSum, long out, int rows, int slotCount, int heads, int kvHeads,
                         int headDim, float scale, int window, int slotsPerSplit, int splits) {
        decodePartial.args().setPointer(0, q).setPointer(1, keys).setPointer(2, values).setPointer(3, slotPositions)
                .setPointer(4, queryPositions).setPointer(5, partials).setPointer(6, partialMax)
                .setPointer(7, partialSum).setInt(8, rows).setInt(9, slotCount).setInt(10, heads).setInt(11, kvHeads)
                .setInt(12, headDim).setFloat(13, scale).setInt(14, window).setInt(15, slotsPerSplit);
        launch(decodePartial, splits, heads, rows, 128);
        decodeCombine.args().setPointer(0, partials).setPointer(1, partialMax).setPointer(2, partialSum)
                .setPointer(3, out).setInt(4, rows).setInt(5, heads).setInt(6, headDim).setInt(7, splits);
        launch(decodeCombine, heads, rows, 1, (headDim + 31) / 32 * 32);
    }

    // ---- sampling support ---------------------------------------------------------------------

    void argmaxRow(long logits, int n, long outIndex, long outValue) {
        argmax.args().setPointer(0, logits).setInt(1, n).setPointer(2, outIndex).setPointer(3, outValue);
        launch(argmax, 1, 1, 1, 1024);
    }

    void topKRow(long logits, int n, int k, long outIds, long outValues) {
        topK.args().setPointer(0, logits).setInt(1, n).setInt(2, k).setPointer(3, outIds).setPointer(4, outValues);
        launch(topK, 1, 1, 1, 1024);
    }

    // ---- token subsets (SPTS) -----------------------------------------------------------------

    void gatherRows(long src, long rows, long dst, int count, int cols) {
        gatherRows.args().setPointer(0, src).setPointer(1, rows).setPointer(2, dst).setInt(3, count).setInt(4, cols);
        launch(gatherRows, gridFor((long) count * cols), 1, 1, BLOCK);
    }

    void scatterAddRows(long src, long rows, long dst, int count, int cols) {
        scatterAddRows.args().setPointer(0, src).setPointer(1, rows).setPointer(2, dst).setInt(3, count)
                .setInt(4, cols);
        launch(scatterAddRows, gridFor((long) count * cols), 1, 1, BLOCK);
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
        probeLogits.args().setPointer(0, q).setPointer(1, k).setPointer(2, keyPositions).setInt(3, queryPosition)
                .setPointer(4, logits).setInt(5, count).setInt(6, heads).setInt(7, kvHeads).setInt(8, headDim)
                .setFloat(9, scale).setInt(10, window);
        launch(probeLogits, (count + 63) / 64, kvHeads, 1, BLOCK);
        probeSoftmax.args().setPointer(0, logits).setPointer(1, scores).setInt(2, count).setInt(3, heads);
        launch(probeSoftmax, heads, 1, 1, 1024);
    }

    void rowNorms(long x, long out, int rows, int cols) {
        rowNorms.args().setPointer(0, x).setPointer(1, out).setInt(2, rows).setInt(3, cols);
        launch(rowNorms, rows, 1, 1, BLOCK);
    }

    // ---- LTP on the device ---------------------------------------------------------------------

    /** {@code outBf16} 0 (null): the float32 rows only. */
    void gatherRmsNorm(long x, long rows, long weight, long out, long outBf16, int count, int cols, float eps) {
        gatherRmsNorm.args().setPointer(0, x).setPointer(1, rows).setPointer(2, weight).setPointer(3, out)
                .setPointer(4, outBf16).setInt(5, count).setInt(6, cols).setFloat(7, eps);
        launch(gatherRmsNorm, count, 1, 1, BLOCK);
    }

    void swigluHalves(long in, long out, int rows, int half) {
        swigluHalves.args().setPointer(0, in).setPointer(1, out).setInt(2, rows).setInt(3, half);
        launch(swigluHalves, gridFor((long) rows * half), 1, 1, BLOCK);
    }

    /** {@code factors} 0 (null): plain norms. */
    void rowNormsScaled(long x, long factors, long out, int rows, int cols) {
        rowNormsScaled.args().setPointer(0, x).setPointer(1, factors).setPointer(2, out).setInt(3, rows).setInt(4, cols);
        launch(rowNormsScaled, rows, 1, 1, BLOCK);
    }

    /** One block: the forced ranges and {@code need} come from {@code TopSelector.forced}. */
    void selectTopRows(long scores, int n, int need, int sinkEnd, int recentBegin, long out, long outCount) {
        selectTopRows.args().setPointer(0, scores).setInt(1, n).setInt(2, need).setInt(3, sinkEnd)
                .setInt(4, recentBegin).setPointer(5, out).setPointer(6, outCount);
        launch(selectTopRows, 1, 1, 1, 1024);
    }

    @Override
    public void close() {
        device.driver().moduleUnload(module);
    }
}
