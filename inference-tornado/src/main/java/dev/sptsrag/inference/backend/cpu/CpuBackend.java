package dev.sptsrag.inference.backend.cpu;

import dev.sptsrag.inference.backend.Activations;
import dev.sptsrag.inference.backend.AttentionShape;
import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.DeviceMatrix;
import dev.sptsrag.inference.backend.DevicePositions;
import dev.sptsrag.inference.backend.DeviceVector;
import dev.sptsrag.inference.backend.HeadNormShape;
import dev.sptsrag.inference.backend.DeviceInts;
import dev.sptsrag.inference.backend.KvBlockPool;
import dev.sptsrag.inference.backend.KvPages;
import dev.sptsrag.inference.backend.OptionalOp;
import dev.sptsrag.inference.backend.RotaryEmbedding;
import dev.sptsrag.inference.backend.RotaryTable;
import dev.sptsrag.inference.backend.TopSelector;
import dev.sptsrag.inference.tensor.Dequantizer;
import dev.sptsrag.inference.tensor.GgmlType;
import dev.sptsrag.inference.tensor.WeightTensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.Objects;

/**
 * The reference backend: float32 everywhere, SIMD through the Vector API, all cores through a
 * {@link ThreadTeam}. Weights are converted to float32 in native memory once at upload (float32
 * tensors of a mapped file are used in place); activations live on the heap.
 */
public final class CpuBackend implements Backend {
    private static final ValueLayout.OfFloat F32_LE = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Arena arena = Arena.ofShared();
    private final ThreadTeam team;
    private final MatmulKernel matmul = new MatmulKernel();
    private final AttentionKernel attention = new AttentionKernel();
    private final RowKernels.RmsNorm rmsNorm = new RowKernels.RmsNorm();
    private final RowKernels.Rope rope = new RowKernels.Rope();
    private final RowKernels.SwiGlu swiglu = new RowKernels.SwiGlu();
    private final RowKernels.Add add = new RowKernels.Add();
    private final RowKernels.AddBias addBias = new RowKernels.AddBias();
    private TopSelector selector;
    private long weightBytes;
    private long cacheBytes;

    /** A backend using every available processor. */
    public CpuBackend() {
        this(Runtime.getRuntime().availableProcessors());
    }

    public CpuBackend(int threads) {
        this.team = new ThreadTeam(threads, "spts-cpu");
    }

    @Override
    public String name() {
        return "cpu";
    }

    /** Every optional op: the fused gather-and-norm and LTP on the backend. */
    @Override
    public boolean supports(OptionalOp op) {
        return true;
    }

    @Override
    public String description() {
        return "CPU float32, " + team.size() + " threads, " + MatmulKernel.S.vectorBitSize() + "-bit vectors";
    }

    /** Native bytes held for weights converted at upload (float32 tensors used in place are not counted). */
    public long weightBytes() {
        return weightBytes;
    }

    /** Native and heap bytes held for KV blocks and the integers ops read (block tables, row maps). */
    public long cacheBytes() {
        return cacheBytes;
    }

    @Override
    public DeviceMatrix uploadMatrix(WeightTensor w) {
        if (w.rank() != 2) {
            throw new IllegalArgumentException(w.name() + " is not a matrix: " + w);
        }
        int rows = Math.toIntExact(w.dim(0));
        int cols = Math.toIntExact(w.dim(1));
        if (w.type() == GgmlType.F32 && w.data().byteSize() == (long) rows * cols * 4) {
            return new CpuMatrix(w.name(), rows, cols, w.data());
        }
        MemorySegment seg = arena.allocate((long) rows * cols * 4, 64);
        float[] row = new float[cols];
        long rowBytes = w.type().byteSize(cols);
        for (int r = 0; r < rows; r++) {
            Dequantizer.dequantize(w.type(), w.data(), r * rowBytes, row, 0, cols);
            MemorySegment.copy(row, 0, seg, F32_LE, (long) r * cols * 4, cols);
        }
        weightBytes += seg.byteSize();
        return new CpuMatrix(w.name(), rows, cols, seg);
    }

    @Override
    public DeviceVector uploadVector(WeightTensor w) {
        int n = Math.toIntExact(w.elementCount());
        float[] v = new float[n];
        Dequantizer.dequantize(w.type(), w.data(), 0, v, 0, n);
        return new CpuVector(w.name(), v);
    }

    @Override
    public DeviceVector uploadVector(String name, float[] values) {
        return new CpuVector(name, values.clone());
    }

    @Override
    public Activations allocateActivations(String name, int rows, int cols) {
        return new CpuActivations(name, rows, cols, new float[Math.multiplyExact(rows, cols)]);
    }

    @Override
    public KvBlockPool allocateKvBlockPool(int blocks, int blockSize, int kvDim) {
        if (blocks <= 0 || blockSize <= 0 || Integer.bitCount(blockSize) != 1 || kvDim <= 0) {
            throw new IllegalArgumentException("KV pool of " + blocks + " blocks of " + blockSize
                    + " slots (a power of two) of width " + kvDim);
        }
        int slots = Math.multiplyExact(blocks, blockSize);
        long bytes = (long) slots * kvDim * 4;
        MemorySegment k = arena.allocate(bytes, 64);
        MemorySegment v = arena.allocate(bytes, 64);
        cacheBytes += 2 * bytes + 4L * slots;
        return new CpuKvBlockPool(blocks, blockSize, kvDim, k, v, new int[slots]);
    }

    @Override
    public DeviceInts allocateInts(String name, int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("ints " + name + " of capacity " + capacity);
        }
        cacheBytes += 4L * capacity;
        return new CpuInts(name, new int[capacity]);
    }

    @Override
    public void writeInts(int[] src, int srcOffset, int count, DeviceInts dst, int dstOffset) {
        CpuInts d = (CpuInts) dst;
        if (count < 0 || dstOffset < 0 || dstOffset + count > d.capacity()) {
            throw new IllegalArgumentException(count + " ints at " + dstOffset + " into " + d.name() + " of " + d.capacity());
        }
        System.arraycopy(src, srcOffset, d.values(), dstOffset, count);
    }

    @Override
    public DevicePositions allocatePositions(String name, int capacity) {
        if (capacity < 0) {
            throw new IllegalArgumentException("positions " + name + " of capacity " + capacity);
        }
        return new CpuPositions(name, capacity);
    }

    @Override
    public void writePositions(int[] positions, int count, DevicePositions dst) {
        CpuPositions p = (CpuPositions) dst;
        if (count < 0 || count > p.capacity() || count > positions.length) {
            throw new IllegalArgumentException(count + " positions into " + p.name() + " of " + p.capacity());
        }
        System.arraycopy(positions, 0, p.values, 0, count);
        p.count = count;
    }

    /** The positions of rows {@code [0, rows)}, which must have been written. */
    private static int[] positions(DevicePositions positions, int rows) {
        CpuPositions p = (CpuPositions) positions;
        if (rows > p.count) {
            throw new IllegalArgumentException(rows + " rows read positions " + p.name() + ", which holds " + p.count);
        }
        return p.values;
    }

    @Override
    public RotaryTable createRotaryTable(RotaryEmbedding rotary) {
        rope.reserve(team.size(), rotary.headDim() / 2);
        return CpuRotaryTable.of(rotary);
    }

    @Override
    public void embed(DeviceMatrix table, int[] tokens, int rows, Activations out) {
        CpuMatrix m = (CpuMatrix) table;
        CpuActivations o = (CpuActivations) out;
        checkRows(o, rows);
        for (int r = 0; r < rows; r++) {
            int t = tokens[r];
            if (t < 0 || t >= m.rows()) {
                throw new IllegalArgumentException("token id " + t + " outside the vocabulary of " + m.rows());
            }
            MemorySegment.copy(m.data(), F32_LE, (long) t * m.cols() * 4, o.data(), r * o.cols(), m.cols());
        }
    }

    @Override
    public void rmsNorm(Activations x, int rows, DeviceVector weight, float eps, Activations out) {
        CpuActivations in = (CpuActivations) x;
        checkRows(in, rows);
        rmsNorm.x = in.data();
        rmsNorm.out = ((CpuActivations) out).data();
        rmsNorm.weight = ((CpuVector) weight).values();
        rmsNorm.cols = in.cols();
        rmsNorm.eps = eps;
        team.run(rmsNorm, rows, 8);
    }

    @Override
    public void headRmsNorm(Activations x, int rows, int headCount, DeviceVector weight, float eps) {
        CpuActivations a = (CpuActivations) x;
        checkRows(a, rows);
        int width = HeadNormShape.headWidth(a, headCount, weight);
        // Rows are contiguous, so the heads of `rows` rows are rows * headCount consecutive rows one head
        // wide: the row kernel serves as it is, with the very same arithmetic.
        rmsNorm.x = a.data();
        rmsNorm.out = a.data();
        rmsNorm.weight = ((CpuVector) weight).values();
        rmsNorm.cols = width;
        rmsNorm.eps = eps;
        team.run(rmsNorm, rows * headCount, 8 * headCount);
    }

    @Override
    public void matmul(Activations x, int rows, DeviceMatrix w, Activations out) {
        CpuActivations in = (CpuActivations) x;
        CpuMatrix m = (CpuMatrix) w;
        CpuActivations o = (CpuActivations) out;
        checkRows(in, rows);
        if (in.cols() != m.cols() || o.cols() != m.rows()) {
            throw new IllegalArgumentException("matmul shapes: x " + in.cols() + " cols, " + m.name() + " ["
                    + m.rows() + ", " + m.cols() + "], out " + o.cols() + " cols");
        }
        matmul.set(in.data(), rows, in.cols(), m.data(), o.data(), o.cols());
        team.run(matmul, m.rows(), MatmulKernel.GRAIN);
        matmul.clear();
    }

    @Override
    public void addBias(Activations x, int rows, DeviceVector bias) {
        CpuActivations a = (CpuActivations) x;
        addBias.x = a.data();
        addBias.bias = ((CpuVector) bias).values();
        addBias.cols = a.cols();
        team.run(addBias, rows, 16);
    }

    @Override
    public void rope(Activations x, int rows, int headCount, RotaryTable table, DevicePositions positions) {
        CpuActivations a = (CpuActivations) x;
        rope.x = a.data();
        rope.cols = a.cols();
        rope.heads = headCount;
        rope.headDim = table.rotary().headDim();
        rope.positions = positions(positions, rows);
        rope.table = (CpuRotaryTable) table;
        team.run(rope, rows, 4);
    }

    @Override
    public void storeKv(Activations k, Activations v, int rows, DevicePositions positions, DeviceInts kvRows,
                        KvPages cache, int layer) {
        int[] p = positions(positions, rows);
        CpuKvBlockPool pool = (CpuKvBlockPool) cache.pool();
        int[] map = ((CpuInts) kvRows).values();
        int[] tables = ((CpuInts) cache.blockTables()).values();
        int[] filled = ((CpuInts) cache.filled()).values();
        CpuActivations ka = (CpuActivations) k;
        CpuActivations va = (CpuActivations) v;
        int d = pool.kvDim();
        if (ka.cols() != d || va.cols() != d) {
            throw new IllegalArgumentException("K/V width " + ka.cols() + "/" + va.cols() + " but the cache holds " + d);
        }
        checkRows(ka, rows);
        checkRows(va, rows);
        int layers = cache.layers();
        int blockSize = pool.blockSize();
        for (int r = 0; r < rows; r++) {
            int s = map[KvPages.ROW_ENTRIES * r];
            int slot = filled[s * layers + layer] + map[KvPages.ROW_ENTRIES * r + 1];
            int block = slot / blockSize;
            if (slot < 0 || block >= cache.maxBlocks()) {
                throw new IllegalArgumentException("KV slot " + slot + " of sequence " + s + " outside its table");
            }
            int physical = tables[(s * cache.maxBlocks() + block) * layers + layer] * blockSize + slot % blockSize;
            long at = (long) physical * d * 4;
            MemorySegment.copy(ka.data(), r * ka.cols(), pool.keys(), F32_LE, at, d);
            MemorySegment.copy(va.data(), r * va.cols(), pool.values(), F32_LE, at, d);
            pool.positions()[physical] = p[r];
        }
    }

    @Override
    public void attention(Activations q, int rows, DevicePositions positions, DeviceInts kvRows, KvPages cache,
                          int layer, AttentionShape shape, Activations out) {
        // Score rows for a sequence's longest possible span, so that no decode token grows them.
        attention.reserve(team.size(), cache.maxBlocks() * cache.pool().blockSize());
        int items = attention.set((CpuActivations) q, rows, positions(positions, rows), ((CpuInts) kvRows).values(),
                cache, layer, shape, (CpuActivations) out);
        team.run(attention, items, 1);
        attention.clear();
    }

    @Override
    public void swiglu(Activations gate, Activations up, int rows, Activations out) {
        CpuActivations g = (CpuActivations) gate;
        swiglu.gate = g.data();
        swiglu.up = ((CpuActivations) up).data();
        swiglu.out = ((CpuActivations) out).data();
        team.run(swiglu, rows * g.cols(), 4096);
    }

    @Override
    public void add(Activations acc, Activations x, int rows) {
        CpuActivations a = (CpuActivations) acc;
        add.acc = a.data();
        add.x = ((CpuActivations) x).data();
        team.run(add, rows * a.cols(), 4096);
    }

    @Override
    public void copyRows(Activations src, int srcRow, Activations dst, int dstRow, int rows) {
        CpuActivations s = (CpuActivations) src;
        CpuActivations d = (CpuActivations) dst;
        if (s.cols() != d.cols() || srcRow < 0 || dstRow < 0 || srcRow + rows > s.rows() || dstRow + rows > d.rows()) {
            throw new IllegalArgumentException("copyRows out of bounds: " + s.name() + " -> " + d.name());
        }
        System.arraycopy(s.data(), srcRow * s.cols(), d.data(), dstRow * d.cols(), rows * s.cols());
    }

    @Override
    public void gatherRows(Activations src, int[] rows, int count, Activations dst) {
        CpuActivations s = (CpuActivations) src;
        CpuActivations d = (CpuActivations) dst;
        checkRows(d, count);
        checkWidths(s, d);
        int c = s.cols();
        for (int i = 0; i < count; i++) {
            Objects.checkIndex(rows[i], s.rows());
            System.arraycopy(s.data(), rows[i] * c, d.data(), i * c, c);
        }
    }

    @Override
    public void scatterAddRows(Activations src, int[] rows, int count, Activations dst) {
        CpuActivations s = (CpuActivations) src;
        CpuActivations d = (CpuActivations) dst;
        checkRows(s, count);
        checkWidths(s, d);
        int c = s.cols();
        float[] a = s.data();
        float[] b = d.data();
        for (int i = 0; i < count; i++) {
            int base = Objects.checkIndex(rows[i], d.rows()) * c;
            for (int j = 0; j < c; j++) {
                b[base + j] += a[i * c + j];
            }
        }
    }

    @Override
    public void probeScores(Activations q, int queryRow, int queryPosition, Activations k, int count,
                            DevicePositions keys, AttentionShape shape, float[] scores) {
        CpuActivations qa = (CpuActivations) q;
        CpuActivations ka = (CpuActivations) k;
        int[] keyPositions = positions(keys, count);
        checkRows(qa, queryRow + 1);
        checkRows(ka, count);
        int hd = shape.headDim();
        int group = shape.groupSize();
        java.util.Arrays.fill(scores, 0, count, 0f);
        float[] logits = new float[count]; // per call, not per token: the probe runs once per layer
        for (int h = 0; h < shape.headCount(); h++) {
            int qBase = queryRow * qa.cols() + h * hd;
            int kvOff = (h / group) * hd;
            float max = Float.NEGATIVE_INFINITY;
            for (int n = 0; n < count; n++) {
                int dist = queryPosition - keyPositions[n];
                if (dist < 0 || (shape.slidingWindow() > 0 && dist >= shape.slidingWindow())) {
                    logits[n] = Float.NEGATIVE_INFINITY;
                    continue;
                }
                float dot = 0f;
                int kBase = n * ka.cols() + kvOff;
                for (int d = 0; d < hd; d++) {
                    dot += qa.data()[qBase + d] * ka.data()[kBase + d];
                }
                logits[n] = dot * shape.scale();
                max = Math.max(max, logits[n]);
            }
            double sum = 0;
            for (int n = 0; n < count; n++) {
                sum += logits[n] == Float.NEGATIVE_INFINITY ? 0 : Math.exp(logits[n] - max);
            }
            float inv = (float) (1.0 / (sum * shape.headCount()));
            for (int n = 0; n < count; n++) {
                if (logits[n] != Float.NEGATIVE_INFINITY) {
                    scores[n] += (float) Math.exp(logits[n] - max) * inv;
                }
            }
        }
    }

    @Override
    public void rowNorms(Activations x, int rows, float[] norms) {
        CpuActivations a = (CpuActivations) x;
        checkRows(a, rows);
        int c = a.cols();
        for (int r = 0; r < rows; r++) {
            double sum = 0;
            for (int j = 0; j < c; j++) {
                float v = a.data()[r * c + j];
                sum += v * v;
            }
            norms[r] = (float) Math.sqrt(sum);
        }
    }

    @Override
    public void gatherRmsNorm(Activations src, int[] rows, int count, DeviceVector weight, float eps, Activations dst) {
        // The reference: literally the two ops, so the result is theirs bit for bit.
        gatherRows(src, rows, count, dst);
        rmsNorm(dst, count, weight, eps, dst);
    }

    @Override
    public void swigluHalves(Activations x, int rows, Activations out) {
        CpuActivations in = (CpuActivations) x;
        CpuActivations o = (CpuActivations) out;
        checkRows(in, rows);
        checkRows(o, rows);
        int half = o.cols();
        if (in.cols() != 2 * half || in == o) {
            throw new IllegalArgumentException("swigluHalves of " + in.cols() + " columns into " + half);
        }
        float[] a = in.data();
        float[] b = o.data();
        for (int r = 0; r < rows; r++) {
            RowKernels.swiglu(a, r * 2 * half, r * 2 * half + half, b, r * half, half);
        }
    }

    @Override
    public void rowNorms(Activations x, int rows, float[] factors, Activations out) {
        CpuActivations o = (CpuActivations) out;
        checkRows(o, rows);
        if (o.cols() != 1) {
            throw new IllegalArgumentException(o.name() + " has " + o.cols() + " columns, scores need 1");
        }
        float[] d = o.data();
        rowNorms(x, rows, d);
        if (factors != null) {
            for (int r = 0; r < rows; r++) {
                d[r] = d[r] * factors[r];
            }
        }
    }

    @Override
    public int selectRows(Activations scores, int n, int budget, int sinks, int recent, int[] out) {
        CpuActivations s = (CpuActivations) scores;
        checkRows(s, n);
        if (s.cols() != 1) {
            throw new IllegalArgumentException(s.name() + " has " + s.cols() + " columns, scores need 1");
        }
        if (selector == null || selector.capacity() < n) {
            selector = new TopSelector(Math.max(n, s.rows())); // once per score buffer size, not per layer
        }
        return selector.select(s.data(), n, budget, sinks, recent, out);
    }

    private static void checkWidths(CpuActivations a, CpuActivations b) {
        if (a.cols() != b.cols()) {
            throw new IllegalArgumentException(a.name() + " has " + a.cols() + " columns, " + b.name() + " " + b.cols());
        }
    }

    @Override
    public void writeRows(float[] src, int rows, Activations x, int firstRow) {
        CpuActivations a = (CpuActivations) x;
        checkRows(a, firstRow + rows);
        System.arraycopy(src, 0, a.data(), firstRow * a.cols(), rows * a.cols());
    }

    @Override
    public void readRows(Activations x, int firstRow, int rows, float[] dst) {
        CpuActivations a = (CpuActivations) x;
        System.arraycopy(a.data(), firstRow * a.cols(), dst, 0, rows * a.cols());
    }

    @Override
    public int argmax(Activations x, int row) {
        CpuActivations a = (CpuActivations) x;
        checkRows(a, row + 1);
        float[] d = a.data();
        int base = row * a.cols();
        int best = 0;
        float bestValue = d[base];
        boolean finite = true;
        for (int i = 0; i < a.cols(); i++) {
            float v = d[base + i];
            finite &= Math.abs(v) <= Float.MAX_VALUE; // false for NaN and both infinities
            if (v > bestValue) {
                bestValue = v;
                best = i;
            }
        }
        return finite ? best : -1;
    }

    @Override
    public void topK(Activations x, int row, int k, int[] ids, float[] values) {
        CpuActivations a = (CpuActivations) x;
        checkRows(a, row + 1);
        if (k < 1 || k > a.cols() || k > ids.length || k > values.length) {
            throw new IllegalArgumentException("k = " + k + " outside 1.." + a.cols());
        }
        float[] d = a.data();
        int base = row * a.cols();
        // Insertion into a sorted prefix: k is small (candidates for sampling), the row is scanned once.
        int size = 0;
        boolean finite = true;
        for (int i = 0; i < a.cols(); i++) {
            float v = d[base + i];
            finite &= Math.abs(v) <= Float.MAX_VALUE;
            if (Float.isNaN(v) || (size == k && !(v > values[k - 1]))) {
                continue;
            }
            int at = size < k ? size++ : k - 1;
            while (at > 0 && v > values[at - 1]) {
                values[at] = values[at - 1];
                ids[at] = ids[at - 1];
                at--;
            }
            values[at] = v;
            ids[at] = i;
        }
        for (; size < k; size++) { // only NaNs left: fill deterministically
            ids[size] = -1;
            values[size] = Float.NaN;
        }
        if (!finite) {
            ids[0] = -1;
        }
    }

    @Override
    public void synchronize() {
        // ops run on the calling thread's team and are complete when they return
    }

    @Override
    public long allocatedBytes() {
        return weightBytes + cacheBytes;
    }

    @Override
    public long matrixBytes(int rows, int cols) {
        return (long) rows * cols * 4;
    }

    @Override
    public long activationBytes(int rows, int cols) {
        return (long) rows * cols * 4;
    }

    @Override
    public long kvBlockPoolBytes(int blocks, int blockSize, int kvDim) {
        long slots = (long) blocks * blockSize;
        return 2L * slots * kvDim * 4 + slots * 4L;
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
        return (long) team.size() * AttentionKernel.BLOCK * (maxSlots + 1L) * 4; // attention scores per worker
    }

    @Override
    public long availableBytes() {
        return Long.MAX_VALUE; // host memory: the OS decides; mapped weights need none
    }

    @Override
    public int preferredBatch() {
        return 256;
    }

    @Override
    public void close() {
        team.close();
        arena.close();
    }

    private static void checkRows(CpuActivations a, int rows) {
        if (rows < 0 || rows > a.rows()) {
            throw new IllegalArgumentException(rows + " rows requested from " + a.name() + " of " + a.rows());
        }
    }
}
