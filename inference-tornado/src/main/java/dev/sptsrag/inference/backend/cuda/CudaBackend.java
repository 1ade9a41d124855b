package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.BackendUnavailableException;
import dev.sptsrag.inference.backend.Activations;
import dev.sptsrag.inference.backend.AttentionShape;
import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.DeviceInts;
import dev.sptsrag.inference.backend.DeviceMatrix;
import dev.sptsrag.inference.backend.DevicePositions;
import dev.sptsrag.inference.backend.DeviceVector;
import dev.sptsrag.inference.backend.HeadNormShape;
import dev.sptsrag.inference.backend.KvBlockPool;
import dev.sptsrag.inference.backend.KvPages;
import dev.sptsrag.inference.backend.OptionalOp;
import dev.sptsrag.inference.backend.RotaryEmbedding;
import dev.sptsrag.inference.backend.RotaryTable;
import dev.sptsrag.inference.backend.TopSelector;
import dev.sptsrag.inference.backend.cuda.CudaBuffers.Ints;
import dev.sptsrag.inference.backend.cuda.CudaBuffers.KvPool;
import dev.sptsrag.inference.backend.cuda.CudaBuffers.Matrix32;
import dev.sptsrag.inference.backend.cuda.CudaBuffers.Matrix;
import dev.sptsrag.inference.backend.cuda.CudaBuffers.Positions;
import dev.sptsrag.inference.backend.cuda.CudaBuffers.Rotary;
import dev.sptsrag.inference.backend.cuda.CudaBuffers.Vector;
import dev.sptsrag.inference.model.RopeLayout;
import dev.sptsrag.inference.tensor.Dequantizer;
import dev.sptsrag.inference.tensor.GgmlType;
import dev.sptsrag.inference.tensor.WeightTensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine on an NVIDIA GPU. Kernels are CUDA C ({@link CudaKernels#SOURCES}) compiled by NVRTC for the
 * device's architecture and loaded as PTX through the driver API; linear layers are cuBLASLt GEMMs.
 *
 * <p>Precision: weights BF16 (every stored type is converted at upload; float32 and quantized types
 * are rounded to BF16), the KV cache BF16, GEMM and attention operands BF16 with float32 accumulation.
 * Activations between ops (the residual stream, norms, projections) are float32: that keeps
 * RMSNorm, RoPE and the residual sums as exact as the CPU reference, and a GEMM input is rounded to
 * BF16 once in a scratch buffer that Q/K/V (and gate/up) share.
 *
 * <p>Everything runs on one stream in issue order. Host/device copies are synchronous, which also
 * orders them with the stream's kernels; decode synchronises once per token anyway (the sampled id).
 * Token positions live in the callers' {@link DevicePositions}, copied when their owner writes them (once
 * per forward call, or when an SPTS row set changes); rope, storeKv, attention and the probe read them
 * where they are, so this backend keeps no copy of the last positions it saw.
 *
 * <p>The KV cache is paged ({@link KvPages}). Its integers ({@link DeviceInts}: block tables, fill counts, a step's
 * row map) are kept on the host as well as on the device, so attention splits a call into its sequences' runs
 * from the host copy: the rows of runs of up to {@link #DECODE_ROWS} rows (a decode step of many sequences) go to
 * the flash-decoding kernels in one launch, each row reading its own sequence, and each longer run (a prefill
 * chunk) to the flash prefill kernel of its own.
 */
public final class CudaBackend implements Backend {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED;
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED;

    static final long GEMM_WORKSPACE_BYTES = CublasLtGemm.RECOMMENDED_WORKSPACE_BYTES;
    /** Host↔device staging for uploads, in floats (64 MiB). */
    static final int STAGING_FLOATS = 16 << 20;
    /** Rows of one sequence up to which attention takes the split-over-slots decode kernels. */
    static final int DECODE_ROWS = 8;
    /** Most slot splits of one decode attention. */
    static final int MAX_SPLITS = 256;
    /** Slack kept free for the driver, cuBLASLt's own buffers and fragmentation. */
    static final long RESERVE_BYTES = 768L << 20;

    private final CudaOptions options;
    private final CudaDevice device;
    private final CudaKernels kernels;
    private final CublasLt cublasLt;
    private final CublasLtGemm gemm;
    private final DeviceAllocations memory;

    private final long gemmWorkspace;
    private final long stagingDevice;
    private final MemorySegment stagingHost;

    // Grown while buffers are allocated (set-up), never per token.
    private long bf16Scratch;
    private long bf16ScratchElements;
    private Matrix32 scratchSource;
    private long scratchVersion = -1;
    private int scratchRows;
    private long tokenBuffer;
    private int tokenCapacity;
    private long partials;
    private long partialMax;
    private long partialSum;
    private int partialHeads;
    private int partialHeadDim;
    private final long results;
    private long rowIndices;
    private int rowIndexCapacity;
    private long probeLogits;
    private long probeScores;
    private long probeCapacity;
    private int probeScoreCapacity;
    private long factorBuffer;
    private int factorCapacity;
    private long selectBuffer;
    private int selectCapacity;

    private CudaBackend(CudaOptions options, CudaDevice device, CudaKernels kernels, CublasLt cublasLt,
                        DeviceAllocations memory) {
        this.options = options;
        this.device = device;
        this.kernels = kernels;
        this.cublasLt = cublasLt;
        this.gemm = new CublasLtGemm(cublasLt);
        this.memory = memory;
        this.gemmWorkspace = memory.allocate("gemm workspace", GEMM_WORKSPACE_BYTES);
        this.stagingDevice = memory.allocate("upload staging", (long) STAGING_FLOATS * 4);
        this.stagingHost = device.allocateHost((long) STAGING_FLOATS * 4);
        this.results = memory.allocate("sampling results", 4096);
    }

    /**
     * Opens device {@code options.device()}: driver, context, stream, kernels (compiled or from the
     * PTX cache), cuBLASLt.
     *
     * @throws BackendUnavailableException when a library or the device is missing
     */
    public static CudaBackend open(CudaOptions options) {
        CudaDevice device = CudaDevice.open(options);
        try {
            CudaKernels kernels = CudaKernels.load(device, options.kernelCache());
            return new CudaBackend(options, device, kernels, device.cublasLt(), new DeviceAllocations(device));
        } catch (RuntimeException e) {
            device.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return "cuda";
    }

    /** Every optional op: the fused gather-and-norm and LTP on the backend. */
    @Override
    public boolean supports(OptionalOp op) {
        return true;
    }

    @Override
    public String description() {
        return "CUDA " + device.name() + " (sm_" + device.computeCapability().replace(".", "") + ", "
                + String.format("%.1f GiB", device.totalBytes() / 1073741824.0) + "), BF16 weights, cuBLASLt";
    }

    /** Device bytes this backend holds now (all of it planned; nothing is allocated per token). */
    @Override
    public long allocatedBytes() {
        return memory.allocatedBytes();
    }

    @Override
    public void synchronize() {
        device.bind();
        device.driver().streamSynchronize(device.stream());
    }

    // ---- memory -------------------------------------------------------------------------------

    @Override
    public DeviceMatrix uploadMatrix(WeightTensor w) {
        device.bind();
        if (w.rank() != 2) {
            throw new IllegalArgumentException(w.name() + " is not a matrix: " + w);
        }
        int rows = Math.toIntExact(w.dim(0));
        int cols = Math.toIntExact(w.dim(1));
        long count = (long) rows * cols;
        long dst = memory.allocate(w.name(), count * 2);
        if (w.type() == GgmlType.BF16) {
            device.copyToDevice(dst, w.data(), 0, count * 2);
        } else if (w.type() == GgmlType.F32) {
            for (long at = 0; at < count; at += STAGING_FLOATS) {
                long n = Math.min(STAGING_FLOATS, count - at);
                device.copyToDevice(stagingDevice, w.data(), at * 4, n * 4);
                kernels.convertF32ToBf16(stagingDevice, dst + at * 2, n);
            }
        } else {
            // Quantized and F16 rows are decoded on the host, a chunk of whole rows at a time.
            int rowsPerChunk = Math.max(1, STAGING_FLOATS / cols);
            float[] rowBuffer = new float[cols];
            for (int r0 = 0; r0 < rows; r0 += rowsPerChunk) {
                int n = Math.min(rowsPerChunk, rows - r0);
                for (int r = 0; r < n; r++) {
                    Dequantizer.dequantizeRow(w, r0 + r, rowBuffer, 0);
                    MemorySegment.copy(rowBuffer, 0, stagingHost, F32, (long) r * cols * 4, cols);
                }
                device.copyToDevice(stagingDevice, stagingHost, 0, (long) n * cols * 4);
                kernels.convertF32ToBf16(stagingDevice, dst + (long) r0 * cols * 2, (long) n * cols);
            }
        }
        return new Matrix(w.name(), rows, cols, dst);
    }

    @Override
    public DeviceVector uploadVector(WeightTensor weight) {
        int n = Math.toIntExact(weight.elementCount());
        float[] values = new float[n];
        Dequantizer.dequantize(weight.type(), weight.data(), 0, values, 0, n);
        return uploadVector(weight.name(), values);
    }

    @Override
    public DeviceVector uploadVector(String name, float[] values) {
        device.bind();
        long ptr = memory.allocate(name, (long) values.length * 4);
        copyFloatsToDevice(values, 0, ptr, values.length);
        return new Vector(name, values.length, ptr);
    }

    @Override
    public Activations allocateActivations(String name, int rows, int cols) {
        device.bind();
        long ptr = memory.allocate(name, (long) rows * cols * 4);
        ensureScratch((long) rows * cols);
        ensureTokenBuffer(rows);
        return new Matrix32(name, rows, cols, ptr);
    }

    @Override
    public KvBlockPool allocateKvBlockPool(int blocks, int blockSize, int kvDim) {
        if (blocks <= 0 || blockSize <= 0 || Integer.bitCount(blockSize) != 1 || kvDim <= 0) {
            throw new IllegalArgumentException("KV pool of " + blocks + " blocks of " + blockSize
                    + " slots (a power of two) of width " + kvDim);
        }
        int slots = Math.multiplyExact(blocks, blockSize); // the kernels index pool slots with an int
        device.bind();
        long bytes = (long) slots * kvDim * 2;
        long k = memory.allocate("kv keys", bytes);
        long v = memory.allocate("kv values", bytes);
        long p = memory.allocate("kv positions", (long) slots * 4);
        device.memset(p, 0, (long) slots * 4);
        return new KvPool(blocks, blockSize, kvDim, k, v, p);
    }

    @Override
    public DeviceInts allocateInts(String name, int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("ints " + name + " of capacity " + capacity);
        }
        device.bind();
        long ptr = memory.allocate(name, (long) capacity * 4);
        device.memset(ptr, 0, (long) capacity * 4);
        return new Ints(name, ptr, new int[capacity]);
    }

    @Override
    public void writeInts(int[] src, int srcOffset, int count, DeviceInts dst, int dstOffset) {
        Ints d = (Ints) dst;
        if (count < 0 || srcOffset < 0 || dstOffset < 0 || srcOffset > src.length - count
                || dstOffset > d.capacity() - count) {
            throw new IllegalArgumentException(count + " ints from " + srcOffset + " of " + src.length + " at "
                    + dstOffset + " into " + d.name() + " of " + d.capacity());
        }
        if (count == 0) {
            return;
        }
        device.bind();
        System.arraycopy(src, srcOffset, d.host(), dstOffset, count);
        copyIntsToDevice(src, srcOffset, d.ptr() + (long) dstOffset * 4, count);
    }

    @Override
    public DevicePositions allocatePositions(String name, int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("positions " + name + " of capacity " + capacity);
        }
        device.bind();
        return new Positions(name, capacity, memory.allocate(name, (long) capacity * 4));
    }

    @Override
    public void writePositions(int[] positions, int count, DevicePositions dst) {
        device.bind();
        Positions p = (Positions) dst;
        if (count < 0 || count > p.capacity || count > positions.length) {
            throw new IllegalArgumentException(count + " positions into " + p.name + " of " + p.capacity);
        }
        if (count > 0) {
            copyIntsToDevice(positions, 0, p.ptr, count);
        }
        p.count = count;
    }

    /** The device address of the positions of rows {@code [0, rows)}, which must have been written. */
    private static long positions(DevicePositions positions, int rows) {
        Positions p = (Positions) positions;
        if (rows > p.count) {
            throw new IllegalArgumentException(rows + " rows read positions " + p.name + ", which holds " + p.count);
        }
        return p.ptr;
    }

    @Override
    public RotaryTable createRotaryTable(RotaryEmbedding rotary) {
        device.bind();
        float[] inv = rotary.inverseFrequencies();
        long ptr = memory.allocate("rope frequencies", (long) inv.length * 4);
        copyFloatsToDevice(inv, 0, ptr, inv.length);
        return new Rotary(rotary, ptr);
    }

    private void ensureScratch(long elements) {
        if (elements > bf16ScratchElements) {
            if (bf16Scratch != 0) {
                memory.free(bf16Scratch);
            }
            bf16Scratch = memory.allocate("bf16 gemm input", elements * 2);
            bf16ScratchElements = elements;
            scratchSource = null;
        }
    }

    private void ensureTokenBuffer(int rows) {
        if (rows > tokenCapacity) {
            if (tokenBuffer != 0) {
                memory.free(tokenBuffer);
            }
            tokenBuffer = memory.allocate("token ids", (long) rows * 4);
            tokenCapacity = rows;
        }
    }

    private void ensurePartials(int heads, int headDim) {
        if (heads > partialHeads || headDim > partialHeadDim) {
            if (partials != 0) {
                memory.free(partials);
                memory.free(partialMax);
                memory.free(partialSum);
            }
            long slots = (long) DECODE_ROWS * heads * MAX_SPLITS;
            partials = memory.allocate("decode partials", slots * headDim * 4);
            partialMax = memory.allocate("decode maxima", slots * 4);
            partialSum = memory.allocate("decode sums", slots * 4);
            partialHeads = heads;
            partialHeadDim = headDim;
        }
    }

    // ---- kernels ------------------------------------------------------------------------------

    @Override
    public void embed(DeviceMatrix table, int[] tokens, int rows, Activations out) {
        device.bind();
        Matrix m = (Matrix) table;
        Matrix32 o = rows(out, rows);
        for (int r = 0; r < rows; r++) {
            if (tokens[r] < 0 || tokens[r] >= m.rows()) {
                throw new IllegalArgumentException("token id " + tokens[r] + " outside the vocabulary of " + m.rows());
            }
        }
        copyIntsToDevice(tokens, 0, tokenBuffer, rows);
        kernels.embedRows(m.ptr(), tokenBuffer, o.ptr, rows, m.cols());
        o.version++;
    }

    @Override
    public void rmsNorm(Activations x, int rows, DeviceVector weight, float eps, Activations out) {
        device.bind();
        Matrix32 in = rows(x, rows);
        Matrix32 o = rows(out, rows);
        kernels.rmsNorm(in.ptr, ((Vector) weight).ptr(), o.ptr, rows, in.cols, eps);
        o.version++;
    }

    @Override
    public void headRmsNorm(Activations x, int rows, int headCount, DeviceVector weight, float eps) {
        device.bind();
        Matrix32 a = rows(x, rows);
        int width = HeadNormShape.headWidth(a, headCount, weight);
        if (rows == 0) {
            return;
        }
        kernels.headRmsNorm(a.ptr, ((Vector) weight).ptr(), rows, headCount, width, eps);
        a.version++;
    }

    @Override
    public void matmul(Activations x, int rows, DeviceMatrix w, Activations out) {
        device.bind();
        Matrix32 in = rows(x, rows);
        Matrix m = (Matrix) w;
        Matrix32 o = rows(out, rows);
        if (in.cols != m.cols() || o.cols != m.rows()) {
            throw new IllegalArgumentException("matmul " + in.name + " [" + rows + "×" + in.cols + "] by " + m.name()
                    + " [" + m.rows() + "×" + m.cols() + "] into " + o.name + " [" + o.cols + " cols]");
        }
        if (rows == 0) {
            return;
        }
        if (scratchSource != in || scratchVersion != in.version || scratchRows < rows) {
            kernels.convertF32ToBf16(in.ptr, bf16Scratch, (long) rows * in.cols);
            scratchSource = in;
            scratchVersion = in.version;
            scratchRows = rows;
        }
        gemm.matmul(m.ptr(), bf16Scratch, o.ptr, rows, m.cols(), m.rows(), CublasLtGemm.OutType.FLOAT32,
                gemmWorkspace, GEMM_WORKSPACE_BYTES, device.stream());
        o.version++;
    }

    @Override
    public void addBias(Activations x, int rows, DeviceVector bias) {
        device.bind();
        Matrix32 a = rows(x, rows);
        kernels.addBias(a.ptr, ((Vector) bias).ptr(), rows, a.cols);
        a.version++;
    }

    @Override
    public void rope(Activations x, int rows, int headCount, RotaryTable table, DevicePositions positions) {
        device.bind();
        Matrix32 a = rows(x, rows);
        Rotary t = (Rotary) table;
        long p = positions(positions, rows);
        kernels.rope(a.ptr, t.inverseFrequencies(), p, rows, headCount, t.rotary().headDim(),
                t.rotary().layout() == RopeLayout.INTERLEAVED);
        a.version++;
    }

    @Override
    public void storeKv(Activations k, Activations v, int rows, DevicePositions positions, DeviceInts kvRows,
                        KvPages cache, int layer) {
        device.bind();
        KvPool pool = (KvPool) cache.pool();
        Matrix32 ka = rows(k, rows);
        Matrix32 va = rows(v, rows);
        if (ka.cols != pool.kvDim() || va.cols != pool.kvDim()) {
            throw new IllegalArgumentException("K/V width " + ka.cols + "/" + va.cols + " but the cache holds "
                    + pool.kvDim());
        }
        long slotTags = positions(positions, rows);
        Ints map = kvRows(kvRows, rows);
        checkPages(cache, layer);
        if (rows == 0) {
            return;
        }
        // The kernel writes where the tables say: every target slot must be in its sequence's table and pool.
        int[] m = map.host();
        int[] filled = ((Ints) cache.filled()).host();
        int[] tables = ((Ints) cache.blockTables()).host();
        int layers = cache.layers();
        int shift = pool.blockShift();
        for (int r = 0; r < rows; r++) {
            int s = m[KvPages.ROW_ENTRIES * r];
            if (s < 0 || s >= cache.sequences()) {
                throw new IllegalArgumentException("row " + r + " of cache sequence " + s + " of " + cache.sequences());
            }
            int slot = filled[s * layers + layer] + m[KvPages.ROW_ENTRIES * r + 1];
            int block = slot >> shift;
            if (slot < 0 || block >= cache.maxBlocks()) {
                throw new IllegalArgumentException("KV slot " + slot + " of sequence " + s + " outside its table");
            }
            int physical = tables[(s * cache.maxBlocks() + block) * layers + layer];
            if (physical < 0 || physical >= pool.blockCount()) {
                throw new IllegalArgumentException("KV block " + physical + " of sequence " + s + " outside the pool of "
                        + pool.blockCount());
            }
        }
        kernels.storeKv(ka.ptr, va.ptr, pool.keys(), pool.values(), pool.positions(), slotTags, map.ptr(),
                layerEntries(cache.filled(), layer), layerEntries(cache.blockTables(), layer), rows, pool.kvDim(),
                layers, cache.maxBlocks(), shift);
    }

    @Override
    public void attention(Activations q, int rows, DevicePositions positions, DeviceInts kvRows, KvPages cache,
                          int layer, AttentionShape shape, Activations out) {
        device.bind();
        Matrix32 qa = rows(q, rows);
        Matrix32 o = rows(out, rows);
        KvPool pool = (KvPool) cache.pool();
        long queryPositions = positions(positions, rows);
        Ints map = kvRows(kvRows, rows);
        checkPages(cache, layer);
        int heads = shape.headCount();
        int hd = shape.headDim();
        int[] m = map.host();
        int[] filled = ((Ints) cache.filled()).host();
        int layers = cache.layers();
        int shift = pool.blockShift();
        long maxSlots = (long) cache.maxBlocks() << shift;
        boolean decodable = hd <= 256;
        // The runs from the host copy of the row map (KvPages: a run ends where the sequence changes or a rank is
        // 0): checked, and the rows of short runs found.
        int decodeFirst = rows, decodeEnd = 0, decodeRows = 0, longest = 0;
        for (int r = 0; r < rows; ) {
            int s = m[KvPages.ROW_ENTRIES * r];
            int length = runLength(m, r, rows);
            int added = m[KvPages.ROW_ENTRIES * r + 2];
            if (s < 0 || s >= cache.sequences() || added < 0) {
                throw new IllegalArgumentException("attention row " + r + ": sequence " + s + " of "
                        + cache.sequences() + ", " + added + " slots added");
            }
            long slots = (long) filled[s * layers + layer] + added;
            if (slots > maxSlots) {
                throw new IllegalArgumentException("attention rows " + r + ".." + (r + length) + " of sequence " + s
                        + " over " + slots + " slots, its table holds " + maxSlots);
            }
            if (decodable && length <= DECODE_ROWS) {
                decodeFirst = Math.min(decodeFirst, r);
                decodeEnd = r + length;
                decodeRows += length;
                longest = Math.max(longest, (int) slots);
            }
            r += length;
        }
        if (decodeRows > 0) {
            attentionDecode(qa, o, queryPositions, map, cache, layer, shape, decodeFirst, decodeEnd, decodeRows,
                    longest);
        }
        if (decodeRows < rows) {
            long tablesLayer = layerEntries(cache.blockTables(), layer);
            for (int r = 0; r < rows; ) {
                int s = m[KvPages.ROW_ENTRIES * r];
                int length = runLength(m, r, rows);
                if (!decodable || length > DECODE_ROWS) {
                    // One launch per run, on its rows and its sequence's table.
                    int slots = filled[s * layers + layer] + m[KvPages.ROW_ENTRIES * r + 2];
                    long table = tablesLayer + (long) s * cache.maxBlocks() * layers * 4;
                    long qr = qa.ptr + (long) r * qa.cols * 4;
                    long or = o.ptr + (long) r * o.cols * 4;
                    long pr = queryPositions + (long) r * 4;
                    if (hd == 64 || hd == 128) {
                        kernels.attentionPrefill(hd, qr, pool.keys(), pool.values(), pool.positions(), pr, or, table,
                                length, slots, heads, shape.kvHeadCount(), shape.scale(), shape.slidingWindow(), layers,
                                shift);
                    } else {
                        kernels.attentionGeneric(qr, pool.keys(), pool.values(), pool.positions(), pr, or, table, length,
                                slots, heads, shape.kvHeadCount(), hd, shape.scale(), shape.slidingWindow(), layers,
                                shift);
                    }
                }
                r += length;
            }
        }
        o.version++;
    }

    /**
     * The flash-decoding launch for the rows of short runs, all in {@code [first, end)} ({@code count} of them, the
     * rest of that range being longer runs, which the kernels skip); splits sized from the longest row's slots.
     */
    private void attentionDecode(Matrix32 qa, Matrix32 o, long queryPositions, Ints map, KvPages cache, int layer,
                                 AttentionShape shape, int first, int end, int count, int longest) {
        KvPool pool = (KvPool) cache.pool();
        int heads = shape.headCount();
        int hd = shape.headDim();
        ensurePartials(heads, hd);
        // Enough blocks to fill the device several times over, at least 32 slots each.
        int target = Math.max(1, 4 * device.multiprocessors() / Math.max(1, heads * count));
        int splits = Math.clamp(target, 1, MAX_SPLITS);
        int perSplit = Math.max(32, (longest + splits - 1) / splits);
        perSplit = (perSplit + 31) & ~31;
        splits = Math.max(1, (longest + perSplit - 1) / perSplit);
        // The partials hold DECODE_ROWS × MAX_SPLITS (row, split) pairs per head: a longer range goes in pieces.
        int piece = Math.max(1, DECODE_ROWS * MAX_SPLITS / splits);
        for (int r = first; r < end; r += piece) {
            int n = Math.min(piece, end - r);
            kernels.attentionDecode(qa.ptr + (long) r * qa.cols * 4, pool.keys(), pool.values(), pool.positions(),
                    queryPositions + (long) r * 4, map.ptr() + (long) r * KvPages.ROW_ENTRIES * 4,
                    layerEntries(cache.filled(), layer), layerEntries(cache.blockTables(), layer), partials, partialMax,
                    partialSum, o.ptr + (long) r * o.cols * 4, n, DECODE_ROWS, heads, shape.kvHeadCount(), hd,
                    shape.scale(), shape.slidingWindow(), perSplit, splits, cache.layers(), cache.maxBlocks(),
                    pool.blockShift());
        }
    }

    /** Rows of the run that starts at row {@code r} of the row map {@code m}: same sequence, ranks after 0. */
    private static int runLength(int[] m, int r, int rows) {
        int s = m[KvPages.ROW_ENTRIES * r];
        int end = r + 1;
        while (end < rows && m[KvPages.ROW_ENTRIES * end] == s && m[KvPages.ROW_ENTRIES * end + 1] != 0) {
            end++;
        }
        return end - r;
    }

    /** The step's row map, which must hold {@code rows} rows. */
    private static Ints kvRows(DeviceInts kvRows, int rows) {
        Ints map = (Ints) kvRows;
        if ((long) KvPages.ROW_ENTRIES * rows > map.capacity()) {
            throw new IllegalArgumentException(rows + " rows read the row map " + map.name() + " of " + map.capacity()
                    + " entries");
        }
        return map;
    }

    /** A paged cache whose tables hold what its shape says, and one of its layers. */
    private static void checkPages(KvPages cache, int layer) {
        if (layer < 0 || layer >= cache.layers()) {
            throw new IllegalArgumentException("layer " + layer + " of a cache of " + cache.layers());
        }
        if ((long) cache.sequences() * cache.maxBlocks() * cache.layers() > cache.blockTables().capacity()) {
            throw new IllegalArgumentException("block tables of " + cache.blockTables().capacity() + " entries for "
                    + cache.sequences() + " sequences of " + cache.maxBlocks() + " blocks in " + cache.layers()
                    + " layers");
        }
    }

    /** The device address of entry {@code layer} of {@code ints}, where a layer's fill counts and tables start. */
    private static long layerEntries(DeviceInts ints, int layer) {
        return ((Ints) ints).ptr() + (long) layer * 4;
    }

    @Override
    public void swiglu(Activations gate, Activations up, int rows, Activations out) {
        device.bind();
        Matrix32 g = rows(gate, rows);
        Matrix32 u = rows(up, rows);
        Matrix32 o = rows(out, rows);
        kernels.swiglu(g.ptr, u.ptr, o.ptr, (long) rows * g.cols);
        o.version++;
    }

    @Override
    public void add(Activations acc, Activations x, int rows) {
        device.bind();
        Matrix32 a = rows(acc, rows);
        Matrix32 b = rows(x, rows);
        kernels.addRows(a.ptr, b.ptr, (long) rows * a.cols);
        a.version++;
    }

    @Override
    public void copyRows(Activations src, int srcRow, Activations dst, int dstRow, int rows) {
        device.bind();
        Matrix32 s = rows(src, srcRow + rows);
        Matrix32 d = rows(dst, dstRow + rows);
        if (s.cols != d.cols) {
            throw new IllegalArgumentException("copyRows between widths " + s.cols + " and " + d.cols);
        }
        device.copyDeviceToDevice(d.ptr + (long) dstRow * d.cols * 4, s.ptr + (long) srcRow * s.cols * 4,
                (long) rows * s.cols * 4);
        d.version++;
    }

    @Override
    public void gatherRows(Activations src, int[] rows, int count, Activations dst) {
        device.bind();
        Matrix32 s = (Matrix32) src;
        Matrix32 d = rows(dst, count);
        requireSameWidth(s, d);
        checkRowIndices(rows, count, s.rows);
        copyIntsToDevice(rows, 0, rowIndexBuffer(count), count);
        kernels.gatherRows(s.ptr, rowIndices, d.ptr, count, s.cols);
        d.version++;
    }

    @Override
    public void scatterAddRows(Activations src, int[] rows, int count, Activations dst) {
        device.bind();
        Matrix32 s = rows(src, count);
        Matrix32 d = (Matrix32) dst;
        requireSameWidth(s, d);
        checkRowIndices(rows, count, d.rows);
        copyIntsToDevice(rows, 0, rowIndexBuffer(count), count);
        kernels.scatterAddRows(s.ptr, rowIndices, d.ptr, count, s.cols);
        d.version++;
    }

    @Override
    public void probeScores(Activations q, int queryRow, int queryPosition, Activations k, int count,
                            DevicePositions keyPositions, AttentionShape shape, float[] scores) {
        device.bind();
        Matrix32 qa = rows(q, queryRow + 1);
        Matrix32 ka = rows(k, count);
        long keyPositionPtr = positions(keyPositions, count);
        ensureProbeWorkspace(shape.headCount(), count);
        device.memset(probeScores, 0, (long) count * 4);
        kernels.probeScores(qa.ptr + (long) queryRow * qa.cols * 4, ka.ptr, keyPositionPtr, queryPosition, probeLogits,
                probeScores, count, shape.headCount(), shape.kvHeadCount(), shape.headDim(), shape.scale(),
                shape.slidingWindow());
        copyFloatsToHost(probeScores, scores, count);
    }

    @Override
    public void rowNorms(Activations x, int rows, float[] norms) {
        device.bind();
        Matrix32 a = rows(x, rows);
        ensureProbeWorkspace(1, rows);
        kernels.rowNorms(a.ptr, probeScores, rows, a.cols);
        copyFloatsToHost(probeScores, norms, rows);
    }

    @Override
    public void gatherRmsNorm(Activations src, int[] rows, int count, DeviceVector weight, float eps, Activations dst) {
        device.bind();
        Matrix32 s = (Matrix32) src;
        Matrix32 d = rows(dst, count);
        requireSameWidth(s, d);
        if (s == d) {
            throw new IllegalArgumentException("gatherRmsNorm in place on " + s.name);
        }
        checkRowIndices(rows, count, s.rows);
        if (count == 0) {
            return;
        }
        copyIntsToDevice(rows, 0, rowIndexBuffer(count), count);
        // These rows feed a GEMM next (K/Q/V, the LTP proxy, gate/up): write its BF16 input as well, and
        // mark the scratch as holding them, which saves the matmul's conversion pass over the rows.
        boolean fillScratch = (long) count * s.cols <= bf16ScratchElements;
        kernels.gatherRmsNorm(s.ptr, rowIndices, ((Vector) weight).ptr(), d.ptr, fillScratch ? bf16Scratch : 0, count,
                s.cols, eps);
        d.version++;
        if (fillScratch) {
            scratchSource = d;
            scratchVersion = d.version;
            scratchRows = count;
        } else if (scratchSource == d) {
            scratchSource = null;
        }
    }

    @Override
    public void swigluHalves(Activations x, int rows, Activations out) {
        device.bind();
        Matrix32 in = rows(x, rows);
        Matrix32 o = rows(out, rows);
        if (in.cols != 2 * o.cols || in == o) {
            throw new IllegalArgumentException("swigluHalves of " + in.cols + " columns into " + o.cols);
        }
        kernels.swigluHalves(in.ptr, o.ptr, rows, o.cols);
        o.version++;
    }

    @Override
    public void rowNorms(Activations x, int rows, float[] factors, Activations out) {
        device.bind();
        Matrix32 a = rows(x, rows);
        Matrix32 o = rows(out, rows);
        if (o.cols != 1) {
            throw new IllegalArgumentException(o.name + " has " + o.cols + " columns, scores need 1");
        }
        if (rows == 0) {
            return;
        }
        long f = 0;
        if (factors != null) {
            if (rows > factorCapacity) {
                if (factorBuffer != 0) {
                    memory.free(factorBuffer);
                }
                factorBuffer = memory.allocate("score factors", (long) rows * 4);
                factorCapacity = rows;
            }
            copyFloatsToDevice(factors, 0, factorBuffer, rows);
            f = factorBuffer;
        }
        kernels.rowNormsScaled(a.ptr, f, o.ptr, rows, a.cols);
        o.version++;
    }

    @Override
    public int selectRows(Activations scores, int n, int budget, int sinks, int recent, int[] out) {
        device.bind();
        Matrix32 s = rows(scores, n);
        if (s.cols != 1) {
            throw new IllegalArgumentException(s.name + " has " + s.cols + " columns, scores need 1");
        }
        if (n == 0) {
            return 0;
        }
        int m = Math.min(n, budget);
        if (m > out.length) {
            throw new IllegalArgumentException(m + " rows into " + out.length);
        }
        if (n + 1 > selectCapacity) {
            if (selectBuffer != 0) {
                memory.free(selectBuffer);
            }
            selectBuffer = memory.allocate("selected rows", (long) (n + 1) * 4);
            selectCapacity = n + 1;
        }
        TopSelector.Forced forced = TopSelector.forced(n, budget, sinks, recent);
        // The count goes in slot 0 and the rows after it, so one copy brings both back.
        kernels.selectTopRows(s.ptr, n, forced.need(), forced.sinkEnd(), forced.recentBegin(), selectBuffer + 4,
                selectBuffer);
        device.copyToHost(stagingHost, selectBuffer, (long) (m + 1) * 4);
        int got = stagingHost.get(I32, 0);
        if (got != m) {
            throw new IllegalStateException("device selection chose " + got + " rows, expected " + m);
        }
        MemorySegment.copy(stagingHost, I32, 4, out, 0, m);
        return m;
    }

    /** Device room for {@code count} row indices; grows during the first SPTS prefill only. */
    private long rowIndexBuffer(int count) {
        if (count > rowIndexCapacity) {
            if (rowIndices != 0) {
                memory.free(rowIndices);
            }
            rowIndices = memory.allocate("row indices", (long) count * 4);
            rowIndexCapacity = count;
        }
        return rowIndices;
    }

    /** Room for {@code heads × count} probe logits and {@code count} scores (or row norms). */
    private void ensureProbeWorkspace(int heads, int count) {
        long need = (long) heads * count;
        if (need > probeCapacity) {
            if (probeLogits != 0) {
                memory.free(probeLogits);
            }
            probeLogits = memory.allocate("probe logits", need * 4);
            probeCapacity = need;
        }
        if (count > probeScoreCapacity) {
            if (probeScores != 0) {
                memory.free(probeScores);
            }
            probeScores = memory.allocate("probe scores", (long) count * 4);
            probeScoreCapacity = count;
        }
    }

    private static void requireSameWidth(Matrix32 a, Matrix32 b) {
        if (a.cols != b.cols) {
            throw new IllegalArgumentException(a.name + " has " + a.cols + " columns, " + b.name + " " + b.cols);
        }
    }

    private static void checkRowIndices(int[] rows, int count, int limit) {
        for (int i = 0; i < count; i++) {
            if (rows[i] < 0 || rows[i] >= limit) {
                throw new IndexOutOfBoundsException("row index " + rows[i] + " outside 0.." + (limit - 1));
            }
        }
    }

    @Override
    public void writeRows(float[] src, int rows, Activations x, int firstRow) {
        device.bind();
        Matrix32 a = rows(x, firstRow + rows);
        copyFloatsToDevice(src, 0, a.ptr + (long) firstRow * a.cols * 4, (long) rows * a.cols);
        a.version++;
    }

    @Override
    public void readRows(Activations x, int firstRow, int rows, float[] dst) {
        device.bind();
        Matrix32 a = rows(x, firstRow + rows);
        copyFloatsToHost(a.ptr + (long) firstRow * a.cols * 4, dst, (long) rows * a.cols);
    }

    @Override
    public int argmax(Activations x, int row) {
        device.bind();
        Matrix32 a = rows(x, row + 1);
        kernels.argmaxRow(a.ptr + (long) row * a.cols * 4, a.cols, results, results + 4);
        device.copyToHost(stagingHost, results, 4);
        return stagingHost.get(I32, 0);
    }

    @Override
    public void topK(Activations x, int row, int k, int[] ids, float[] values) {
        device.bind();
        Matrix32 a = rows(x, row + 1);
        if (k < 1 || k > Math.min(256, a.cols) || k > ids.length || k > values.length) {
            throw new IllegalArgumentException("k = " + k + " outside 1.." + Math.min(256, a.cols));
        }
        kernels.topKRow(a.ptr + (long) row * a.cols * 4, a.cols, k, results, results + 1024);
        device.copyToHost(stagingHost, results, 2048);
        MemorySegment.copy(stagingHost, I32, 0, ids, 0, k);
        MemorySegment.copy(stagingHost, F32, 1024, values, 0, k);
    }

    // ---- memory planning ---------------------------------------------------------------------

    @Override
    public long matrixBytes(int rows, int cols) {
        return (long) rows * cols * 2;
    }

    @Override
    public long activationBytes(int rows, int cols) {
        return (long) rows * cols * 4;
    }

    @Override
    public long kvBlockPoolBytes(int blocks, int blockSize, int kvDim) {
        long slots = (long) blocks * blockSize;
        return 2L * slots * kvDim * 2 + slots * 4L;
    }

    @Override
    public long intsBytes(int capacity) {
        return capacity * 4L;
    }

    @Override
    public long positionsBytes(int capacity) {
        return capacity * 4L;
    }

    @Override
    public long workspaceBytes(int maxRows, int maxCols, int maxSlots, int headCount, int headDim) {
        long decode = (long) DECODE_ROWS * headCount * MAX_SPLITS * (headDim + 2) * 4;
        return GEMM_WORKSPACE_BYTES + (long) STAGING_FLOATS * 4 + (long) maxRows * maxCols * 2 + 4L * maxRows
                + decode + 4096;
    }

    @Override
    public long availableBytes() {
        return Math.max(0, device.freeBytes() - RESERVE_BYTES);
    }

    @Override
    public int preferredBatch() {
        return options.prefillBatch();
    }

    @Override
    public void close() {
        memory.freeAll();
        device.freeHost(stagingHost);
        device.bind();
        gemm.close();
        cublasLt.close();
        kernels.close();
        device.close();
    }

    // ---- helpers -----------------------------------------------------------------------------

    private static Matrix32 rows(Activations a, int rows) {
        Matrix32 m = (Matrix32) a;
        if (rows < 0 || rows > m.rows) {
            throw new IllegalArgumentException(rows + " rows requested of " + m.name + ", which holds " + m.rows);
        }
        return m;
    }

    /** {@code values[from .. from + count)} to device address {@code dst}, through the pinned staging buffer. */
    private void copyIntsToDevice(int[] values, int from, long dst, int count) {
        for (int at = 0; at < count; at += STAGING_FLOATS) {
            int n = Math.min(STAGING_FLOATS, count - at);
            MemorySegment.copy(values, from + at, stagingHost, I32, 0, n);
            device.copyToDevice(dst + (long) at * 4, stagingHost, 0, (long) n * 4);
        }
    }

    /** {@code count} floats from device address {@code src} into {@code dst}, through the pinned staging buffer. */
    private void copyFloatsToHost(long src, float[] dst, long count) {
        for (long at = 0; at < count; at += STAGING_FLOATS) {
            int n = (int) Math.min(STAGING_FLOATS, count - at);
            device.copyToHost(stagingHost, src + at * 4, (long) n * 4);
            MemorySegment.copy(stagingHost, F32, 0, dst, (int) at, n);
        }
    }

    private void copyFloatsToDevice(float[] values, int from, long dst, long count) {
        for (long at = 0; at < count; at += STAGING_FLOATS) {
            int n = (int) Math.min(STAGING_FLOATS, count - at);
            MemorySegment.copy(values, from + (int) at, stagingHost, F32, 0, n);
            device.copyToDevice(dst + at * 4, stagingHost, 0, (long) n * 4);
        }
    }

    /** Every device allocation, by name, so close frees all and {@link #allocatedBytes()} is exact. */
    static final class DeviceAllocations {
        private final CudaDevice device;
        private final List<long[]> live = new ArrayList<>();
        private long allocated;

        DeviceAllocations(CudaDevice device) {
            this.device = device;
        }

        long allocate(String what, long bytes) {
            long ptr = device.allocate(what, Math.max(bytes, 1));
            live.add(new long[] {ptr, bytes});
            allocated += bytes;
            return ptr;
        }

        void free(long ptr) {
            for (int i = 0; i < live.size(); i++) {
                if (live.get(i)[0] == ptr) {
                    allocated -= live.get(i)[1];
                    live.remove(i);
                    device.free(ptr);
                    return;
                }
            }
        }

        long allocatedBytes() {
            return allocated;
        }

        void freeAll() {
            for (long[] a : live) {
                device.free(a[0]);
            }
            live.clear();
            allocated = 0;
        }
    }
}
