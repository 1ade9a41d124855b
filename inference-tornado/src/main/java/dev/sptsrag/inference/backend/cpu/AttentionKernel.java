package dev.sptsrag.inference.backend.cpu;

import dev.sptsrag.inference.backend.AttentionShape;
import dev.sptsrag.inference.backend.KvPages;
import dev.sptsrag.inference.simd.LaneSums;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Causal attention over a paged, position-tagged KV cache: scores {@code q·k · scale} for the visible slots,
 * a max-subtracted softmax, and the weighted sum of values. Invisible slots (later positions, or
 * outside the sliding window) get probability zero. A logical slot is found through its sequence's block
 * table ({@link KvPages}); the rows of a call come in runs, one per sequence, and each run reads its own.
 *
 * <p>Within a run, the (query row, head) pairs that read the same KV head are taken four at a time: a work
 * item is such a block, a last block of two or three, or one pair left over. Pairs are ordered row by row
 * within a KV head's group of query heads, so a prefill block is a row's group heads and the next
 * rows', and a decode block (one row) is the heads of a grouped-query group (up to four). Each key and
 * value vector read from the cache then serves up to four pairs: the cache is streamed up to four
 * times less often. Every pair goes through the same operations in the same order either way, so its
 * output does not depend on which pairs shared its block.
 *
 * <p>Each worker owns four score rows as long as a sequence's table can reach (and their maxima), reserved at the
 * first call, so nothing is allocated per token.
 */
final class AttentionKernel implements ThreadTeam.RangeTask {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** (Query row, head) pairs per block. */
    static final int BLOCK = 4;

    private float[][] scores = new float[0][];

    private float[] q;
    private int qCols;
    private int[] queryPositions;
    private MemorySegment keys;
    private MemorySegment values;
    private int[] slotPositions;
    private int[] tables;
    private int layers;
    private int blockShift;
    private int blockMask;
    private int kvDim;
    private AttentionShape shape;
    private float[] out;
    private int outCols;

    // The call's runs of rows of one sequence, and where each run's work items start (per KV head).
    private int runs;
    private int[] runFirstRow = new int[0];
    private int[] runRows = new int[0];
    private int[] runSlots = new int[0];      // logical slots the run's rows may see
    private int[] runTableBase = new int[0];  // its sequence's first block-table entry for the layer
    private int[] runItemStart = new int[1];
    private int itemsPerKvHead;

    /** Makes sure each of {@code workers} has {@link #BLOCK} score rows of {@code capacity} floats (and their maxima). */
    void reserve(int workers, int capacity) {
        if (scores.length < workers) {
            float[][] grown = new float[workers][];
            System.arraycopy(scores, 0, grown, 0, scores.length);
            scores = grown;
        }
        for (int w = 0; w < workers; w++) {
            if (scores[w] == null || scores[w].length < (long) BLOCK * capacity + BLOCK) {
                scores[w] = new float[BLOCK * capacity + BLOCK]; // + the block's four maxima
            }
        }
    }

    /**
     * Takes a call's operands and splits its rows into runs of one sequence ({@code kvRows}, see
     * {@link KvPages}).
     *
     * @return the work items of the call
     */
    int set(CpuActivations q, int rows, int[] queryPositions, int[] kvRows, KvPages cache, int layer,
            AttentionShape shape, CpuActivations out) {
        CpuKvBlockPool pool = (CpuKvBlockPool) cache.pool();
        int[] filled = ((CpuInts) cache.filled()).values();
        this.q = q.data();
        this.qCols = q.cols();
        this.queryPositions = queryPositions;
        this.keys = pool.keys();
        this.values = pool.values();
        this.slotPositions = pool.positions();
        this.tables = ((CpuInts) cache.blockTables()).values();
        this.layers = cache.layers();
        this.blockShift = Integer.numberOfTrailingZeros(pool.blockSize());
        this.blockMask = pool.blockSize() - 1;
        this.kvDim = pool.kvDim();
        this.shape = shape;
        this.out = out.data();
        this.outCols = out.cols();
        if (runFirstRow.length < rows) {
            runFirstRow = new int[rows];
            runRows = new int[rows];
            runSlots = new int[rows];
            runTableBase = new int[rows];
            runItemStart = new int[rows + 1];
        }
        runs = 0;
        int longest = 0;
        for (int r = 0; r < rows; r++) {
            int s = kvRows[KvPages.ROW_ENTRIES * r];
            int rank = kvRows[KvPages.ROW_ENTRIES * r + 1];
            if (r > 0 && rank != 0 && s == kvRows[KvPages.ROW_ENTRIES * (r - 1)]) {
                runRows[runs - 1]++;
                continue;
            }
            int slots = filled[s * layers + layer] + kvRows[KvPages.ROW_ENTRIES * r + 2];
            if (slots < 0 || (long) slots > (long) cache.maxBlocks() << blockShift) {
                throw new IllegalArgumentException("attention of sequence " + s + " over " + slots
                        + " slots: outside its table");
            }
            runFirstRow[runs] = r;
            runRows[runs] = 1;
            runSlots[runs] = slots;
            runTableBase[runs] = s * cache.maxBlocks() * layers + layer;
            runs++;
            longest = Math.max(longest, slots);
        }
        runItemStart[0] = 0;
        for (int i = 0; i < runs; i++) {
            runItemStart[i + 1] = runItemStart[i] + itemsPerKvHead(runRows[i] * shape.groupSize(), shape);
        }
        itemsPerKvHead = runItemStart[runs];
        if (scores.length == 0 || scores[0].length < (long) BLOCK * longest + BLOCK) {
            throw new IllegalStateException("attention over " + longest + " slots, score rows reserved for fewer");
        }
        return itemsPerKvHead * (shape.headCount() / shape.groupSize());
    }

    void clear() {
        q = null;
        out = null;
        keys = null;
        values = null;
        slotPositions = null;
        queryPositions = null;
        tables = null;
    }

    private static int itemsPerKvHead(int pairs, AttentionShape shape) {
        if (shape.headDim() % S.length() != 0) {
            return pairs; // blocks need whole vectors: every pair alone
        }
        int rest = pairs % BLOCK;
        return pairs / BLOCK + (rest >= 2 ? 1 : rest);
    }

    /** The pool slot of logical slot {@code slot} of the sequence whose table for the layer starts at {@code tableBase}. */
    private int physical(int slot, int tableBase) {
        return (tables[tableBase + (slot >>> blockShift) * layers] << blockShift) | (slot & blockMask);
    }

    @Override
    public void run(int start, int end, int worker) {
        float[] s = scores[worker];
        int group = shape.groupSize();
        boolean blocked = shape.headDim() % S.length() == 0;
        for (int item = start; item < end; item++) {
            int kvHead = item / itemsPerKvHead;
            int j = item % itemsPerKvHead;
            int run = runOf(j);
            j -= runItemStart[run];
            int pairs = runRows[run] * group;
            int first = blocked ? j * BLOCK : j;
            int count = blocked ? Math.min(BLOCK, pairs - first) : 1;
            if (count >= 2) {
                block(run, kvHead, first, count, s);
            } else {
                single(run, runFirstRow[run] + first / group, kvHead * group + first % group, s);
            }
        }
    }

    /** The run whose items (per KV head) include {@code j}. */
    private int runOf(int j) {
        int lo = 0, hi = runs - 1;
        while (lo < hi) {
            int mid = (lo + hi + 1) >>> 1;
            if (runItemStart[mid] <= j) {
                lo = mid;
            } else {
                hi = mid - 1;
            }
        }
        return lo;
    }

    /** One head of one query row of run {@code run}. */
    private void single(int run, int r, int h, float[] s) {
        int headDim = shape.headDim();
        int window = shape.slidingWindow();
        float scale = shape.scale();
        int kvOffset = (h / shape.groupSize()) * headDim;
        int qBase = r * qCols + h * headDim;
        int pos = queryPositions[r];
        int slotCount = runSlots[run];
        int tableBase = runTableBase[run];
        float max = Float.NEGATIVE_INFINITY;
        for (int slot = 0; slot < slotCount; slot++) {
            int physical = physical(slot, tableBase);
            int kp = slotPositions[physical];
            if (kp > pos || (window > 0 && pos - kp >= window)) {
                s[slot] = Float.NEGATIVE_INFINITY;
                continue;
            }
            float score = dot(qBase, ((long) physical * kvDim + kvOffset) * 4L, headDim) * scale;
            s[slot] = score;
            if (score > max) {
                max = score;
            }
        }
        int oBase = r * outCols + h * headDim;
        for (int d = 0; d < headDim; d++) {
            out[oBase + d] = 0f;
        }
        if (max == Float.NEGATIVE_INFINITY) {
            return; // nothing visible: a zero output (cannot happen for a token that sees itself)
        }
        float sum = expInPlace(s, 0, slotCount, max);
        float inv = 1f / sum;
        for (int slot = 0; slot < slotCount; slot++) {
            float p = s[slot];
            if (p != 0f) {
                accumulate(oBase, ((long) physical(slot, tableBase) * kvDim + kvOffset) * 4L, headDim, p * inv);
            }
        }
    }

    /**
     * Pairs {@code first .. first + count − 1} of run {@code run} and KV head {@code kvHead} (pair t: the run's row t / group, head
     * kvHead · group + t % group; count 2 to 4): the operations of {@link #single} for each, with each
     * key and value vector loaded once for all. Pair i's scores live at {@code s[i · slotCount ..]}, its maximum at
     * {@code s[4 · slotCount + i]}.
     *
     * <p>Split in three methods with unmasked loads (blocks are used only when the head dimension is a
     * whole number of vectors): one large method with masked loads fell back to C1's non-intrinsified
     * vector code for minutes under the CI evaluation, where C2 had compiled it in short benchmarks.
     */
    private void block(int run, int kvHead, int first, int count, float[] s) {
        int headDim = shape.headDim();
        int group = shape.groupSize();
        int h0 = kvHead * group;
        // A block of two or three repeats its last pair in the missing lanes: their scores land in scratch
        // rows and blockValues writes nothing for them.
        int last = first + count - 1;
        int t1 = first + 1, t2 = Math.min(first + 2, last), t3 = Math.min(first + 3, last);
        int base = runFirstRow[run];
        int r0 = base + first / group, r1 = base + t1 / group, r2 = base + t2 / group, r3 = base + t3 / group;
        int h0i = h0 + first % group, h1i = h0 + t1 % group, h2i = h0 + t2 % group, h3i = h0 + t3 % group;
        blockScores(r0 * qCols + h0i * headDim, r1 * qCols + h1i * headDim, r2 * qCols + h2i * headDim,
                r3 * qCols + h3i * headDim, r0, r1, r2, r3, kvHead * headDim, run, s);
        int n = runSlots[run];
        // A pair that sees nothing keeps a zero output and zero weights (cannot happen for a token that
        // sees itself); the others get their softmax weights and the factor 1 / Σ.
        float w0 = weights(s, 0, n, s[4 * n]), w1 = weights(s, n, n, s[4 * n + 1]),
                w2 = weights(s, 2 * n, n, s[4 * n + 2]), w3 = weights(s, 3 * n, n, s[4 * n + 3]);
        blockValues(count, r0 * outCols + h0i * headDim, r1 * outCols + h1i * headDim, r2 * outCols + h2i * headDim,
                r3 * outCols + h3i * headDim, w0, w1, w2, w3, kvHead * headDim, run, s);
    }

    /** Scores {@code q·k · scale} (−∞ where invisible) of four pairs, and each pair's maximum. */
    private void blockScores(int q0, int q1, int q2, int q3, int r0, int r1, int r2, int r3, int kvOffset, int run,
                             float[] s) {
        int headDim = shape.headDim();
        int window = shape.slidingWindow();
        float scale = shape.scale();
        int p0 = queryPositions[r0], p1 = queryPositions[r1], p2 = queryPositions[r2], p3 = queryPositions[r3];
        int n = runSlots[run];
        int tableBase = runTableBase[run];
        float m0 = Float.NEGATIVE_INFINITY, m1 = m0, m2 = m0, m3 = m0;
        for (int slot = 0; slot < n; slot++) {
            int physical = physical(slot, tableBase);
            int kp = slotPositions[physical];
            boolean v0 = kp <= p0 && (window <= 0 || p0 - kp < window);
            boolean v1 = kp <= p1 && (window <= 0 || p1 - kp < window);
            boolean v2 = kp <= p2 && (window <= 0 || p2 - kp < window);
            boolean v3 = kp <= p3 && (window <= 0 || p3 - kp < window);
            float c0 = Float.NEGATIVE_INFINITY, c1 = c0, c2 = c0, c3 = c0;
            if (v0 | v1 | v2 | v3) {
                long keyByte = ((long) physical * kvDim + kvOffset) * 4L;
                FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
                for (int d = 0; d < headDim; d += S.length()) {
                    FloatVector k = FloatVector.fromMemorySegment(S, keys, keyByte + d * 4L, ByteOrder.LITTLE_ENDIAN);
                    a0 = FloatVector.fromArray(S, q, q0 + d).fma(k, a0);
                    a1 = FloatVector.fromArray(S, q, q1 + d).fma(k, a1);
                    a2 = FloatVector.fromArray(S, q, q2 + d).fma(k, a2);
                    a3 = FloatVector.fromArray(S, q, q3 + d).fma(k, a3);
                }
                c0 = v0 ? a0.reduceLanes(VectorOperators.ADD) * scale : c0;
                c1 = v1 ? a1.reduceLanes(VectorOperators.ADD) * scale : c1;
                c2 = v2 ? a2.reduceLanes(VectorOperators.ADD) * scale : c2;
                c3 = v3 ? a3.reduceLanes(VectorOperators.ADD) * scale : c3;
            }
            s[slot] = c0;
            s[n + slot] = c1;
            s[2 * n + slot] = c2;
            s[3 * n + slot] = c3;
            m0 = c0 > m0 ? c0 : m0;
            m1 = c1 > m1 ? c1 : m1;
            m2 = c2 > m2 ? c2 : m2;
            m3 = c3 > m3 ? c3 : m3;
        }
        s[4 * n] = m0;
        s[4 * n + 1] = m1;
        s[4 * n + 2] = m2;
        s[4 * n + 3] = m3;
    }

    /**
     * {@code out = Σ weight · v} for the block's pairs. A pair whose weight at a slot is 0 adds {@code 0 · v}, which
     * leaves every float as it was (x + ±0 = x, and +0 + ±0 = +0), so the sums equal {@link #single}'s,
     * which skips those slots; slots no pair sees are skipped.
     */
    private void blockValues(int count, int o0, int o1, int o2, int o3, float w0, float w1, float w2, float w3,
                             int kvOffset, int run, float[] s) {
        int headDim = shape.headDim();
        int n = runSlots[run];
        int tableBase = runTableBase[run];
        boolean has2 = count > 2, has3 = count > 3; // a lane that repeats the last pair writes nothing
        for (int d = 0; d < headDim; d++) {
            out[o0 + d] = 0f;
            out[o1 + d] = 0f;
            out[o2 + d] = has2 ? 0f : out[o2 + d];
            out[o3 + d] = has3 ? 0f : out[o3 + d];
        }
        for (int slot = 0; slot < n; slot++) {
            float e0 = s[slot], e1 = s[n + slot], e2 = s[2 * n + slot], e3 = s[3 * n + slot];
            if (e0 == 0f && e1 == 0f && e2 == 0f && e3 == 0f) {
                continue;
            }
            float f0 = e0 * w0, f1 = e1 * w1, f2 = e2 * w2, f3 = e3 * w3;
            long valueByte = ((long) physical(slot, tableBase) * kvDim + kvOffset) * 4L;
            for (int d = 0; d < headDim; d += S.length()) {
                FloatVector v = FloatVector.fromMemorySegment(S, values, valueByte + d * 4L, ByteOrder.LITTLE_ENDIAN);
                v.mul(f0).add(FloatVector.fromArray(S, out, o0 + d)).intoArray(out, o0 + d);
                v.mul(f1).add(FloatVector.fromArray(S, out, o1 + d)).intoArray(out, o1 + d);
                if (has2) {
                    v.mul(f2).add(FloatVector.fromArray(S, out, o2 + d)).intoArray(out, o2 + d);
                }
                if (has3) {
                    v.mul(f3).add(FloatVector.fromArray(S, out, o3 + d)).intoArray(out, o3 + d);
                }
            }
        }
    }

    /**
     * Turns one row's scores at {@code s[from .. from + slotCount)} into {@code exp(score − max)} and
     * returns {@code 1 / Σ}, the factor {@link #single} applies; 0 for a row that sees nothing (its
     * scores become 0 too).
     */
    private static float weights(float[] s, int from, int slotCount, float max) {
        if (max == Float.NEGATIVE_INFINITY) {
            Arrays.fill(s, from, from + slotCount, 0f);
            return 0f;
        }
        return 1f / expInPlace(s, from, slotCount, max);
    }

    private float dot(int qBase, long keyByte, int headDim) {
        FloatVector acc = FloatVector.zero(S);
        for (int d = 0; d < headDim; d += S.length()) {
            VectorMask<Float> m = S.indexInRange(d, headDim);
            acc = FloatVector.fromArray(S, q, qBase + d, m)
                    .fma(FloatVector.fromMemorySegment(S, keys, keyByte + d * 4L, ByteOrder.LITTLE_ENDIAN, m), acc);
        }
        return acc.reduceLanes(VectorOperators.ADD);
    }

    /** {@code s[from + i] = exp(s[from + i] - max)} for i below n, returning the sum (in LaneSums' fixed order). */
    private static float expInPlace(float[] s, int from, int n, float max) {
        int i = 0;
        for (; i < S.loopBound(n); i += S.length()) {
            FloatVector.fromArray(S, s, from + i).sub(max).lanewise(VectorOperators.EXP).intoArray(s, from + i);
        }
        for (; i < n; i++) {
            s[from + i] = (float) Math.exp(s[from + i] - max);
        }
        return LaneSums.sum(s, from, n);
    }

    private void accumulate(int oBase, long valueByte, int headDim, float p) {
        for (int d = 0; d < headDim; d += S.length()) {
            VectorMask<Float> m = S.indexInRange(d, headDim);
            FloatVector v = FloatVector.fromMemorySegment(S, values, valueByte + d * 4L, ByteOrder.LITTLE_ENDIAN, m);
            FloatVector o = FloatVector.fromArray(S, out, oBase + d, m);
            v.mul(p).add(o).intoArray(out, oBase + d, m);
        }
    }
}
