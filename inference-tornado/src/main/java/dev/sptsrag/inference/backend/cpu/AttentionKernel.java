package dev.sptsrag.inference.backend.cpu;

import dev.sptsrag.inference.backend.AttentionShape;
import dev.sptsrag.inference.simd.LaneSums;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Causal attention over a position-tagged KV cache: scores {@code q·k · scale} for the visible slots,
 * a max-subtracted softmax, and the weighted sum of values. Invisible slots (later positions, or
 * outside the sliding window) get probability zero.
 *
 * <p>The (query row, head) pairs that read the same KV head are taken four at a time: a work item is
 * such a block, or one pair left over. Pairs are ordered row by row within a KV head's group of query
 * heads, so a prefill block is a row's group heads and the next rows', and a decode block (one row) is
 * four heads of a grouped-query group. Each key and value vector read from the cache then serves four
 * pairs: the cache is streamed a quarter as often. Every pair goes through the same operations in the
 * same order either way, so its output does not depend on which pairs shared its block.
 *
 * <p>Each worker owns four score buffers as long as the cache, so nothing is allocated per call.
 */
final class AttentionKernel implements ThreadTeam.RangeTask {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** (Query row, head) pairs per block. */
    static final int BLOCK = 4;

    private float[][] scores = new float[0][];

    private float[] q;
    private int qCols;
    private int[] queryPositions;
    private int rows;
    private MemorySegment keys;
    private MemorySegment values;
    private int[] slotPositions;
    private int kvDim;
    private int slotCount;
    private AttentionShape shape;
    private float[] out;
    private int outCols;

    /** Makes sure each of {@code workers} has {@link #BLOCK} score buffers of {@code capacity} floats. */
    void reserve(int workers, int capacity) {
        if (scores.length < workers) {
            float[][] grown = new float[workers][];
            System.arraycopy(scores, 0, grown, 0, scores.length);
            scores = grown;
        }
        for (int w = 0; w < workers; w++) {
            if (scores[w] == null || scores[w].length < (long) BLOCK * capacity) {
                scores[w] = new float[BLOCK * capacity];
            }
        }
    }

    void set(CpuActivations q, int rows, int[] queryPositions, CpuKvCacheLayer cache, int slotCount,
             AttentionShape shape, CpuActivations out) {
        this.q = q.data();
        this.rows = rows;
        this.qCols = q.cols();
        this.queryPositions = queryPositions;
        this.keys = cache.keys();
        this.values = cache.values();
        this.slotPositions = cache.positions();
        this.kvDim = cache.kvDim();
        this.slotCount = slotCount;
        this.shape = shape;
        this.out = out.data();
        this.outCols = out.cols();
    }

    void clear() {
        q = null;
        out = null;
        keys = null;
        values = null;
        slotPositions = null;
        queryPositions = null;
    }

    /** Work items for {@code rows} query rows: per KV head, its blocks of four pairs, then the pairs left over. */
    static int items(int rows, AttentionShape shape) {
        int pairs = rows * shape.groupSize();
        return (pairs / BLOCK + pairs % BLOCK) * (shape.headCount() / shape.groupSize());
    }

    @Override
    public void run(int start, int end, int worker) {
        float[] s = scores[worker];
        int group = shape.groupSize();
        int pairs = rows * group;
        int blocks = pairs / BLOCK;
        int perKvHead = blocks + pairs % BLOCK;
        for (int item = start; item < end; item++) {
            int kvHead = item / perKvHead;
            int j = item % perKvHead;
            if (j < blocks) {
                block(kvHead, j * BLOCK, s);
            } else {
                int pair = blocks * BLOCK + (j - blocks);
                single(pair / group, kvHead * group + pair % group, s);
            }
        }
    }

    /** One head of one query row. */
    private void single(int r, int h, float[] s) {
        int headDim = shape.headDim();
        int window = shape.slidingWindow();
        float scale = shape.scale();
        int kvOffset = (h / shape.groupSize()) * headDim;
        int qBase = r * qCols + h * headDim;
        int pos = queryPositions[r];
        float max = Float.NEGATIVE_INFINITY;
        for (int slot = 0; slot < slotCount; slot++) {
            int kp = slotPositions[slot];
            if (kp > pos || (window > 0 && pos - kp >= window)) {
                s[slot] = Float.NEGATIVE_INFINITY;
                continue;
            }
            float score = dot(qBase, ((long) slot * kvDim + kvOffset) * 4L, headDim) * scale;
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
                accumulate(oBase, ((long) slot * kvDim + kvOffset) * 4L, headDim, p * inv);
            }
        }
    }

    /**
     * Pairs {@code first .. first + 3} of KV head {@code kvHead} (pair t: row t / group, head
     * kvHead · group + t % group): the operations of {@link #single} for each, with each key and value
     * vector loaded once for the four. Pair i's scores live at {@code s[i · slotCount ..]}.
     */
    private void block(int kvHead, int first, float[] s) {
        int headDim = shape.headDim();
        int window = shape.slidingWindow();
        float scale = shape.scale();
        int group = shape.groupSize();
        int kvOffset = kvHead * headDim;
        int h0 = kvHead * group;
        int r0 = first / group, r1 = (first + 1) / group, r2 = (first + 2) / group, r3 = (first + 3) / group;
        int c0h = h0 + first % group, c1h = h0 + (first + 1) % group, c2h = h0 + (first + 2) % group,
                c3h = h0 + (first + 3) % group;
        int q0 = r0 * qCols + c0h * headDim, q1 = r1 * qCols + c1h * headDim, q2 = r2 * qCols + c2h * headDim,
                q3 = r3 * qCols + c3h * headDim;
        int p0 = queryPositions[r0], p1 = queryPositions[r1], p2 = queryPositions[r2], p3 = queryPositions[r3];
        int s1 = slotCount, s2 = 2 * slotCount, s3 = 3 * slotCount;
        float m0 = Float.NEGATIVE_INFINITY, m1 = m0, m2 = m0, m3 = m0;
        for (int slot = 0; slot < slotCount; slot++) {
            int kp = slotPositions[slot];
            boolean v0 = kp <= p0 && (window <= 0 || p0 - kp < window);
            boolean v1 = kp <= p1 && (window <= 0 || p1 - kp < window);
            boolean v2 = kp <= p2 && (window <= 0 || p2 - kp < window);
            boolean v3 = kp <= p3 && (window <= 0 || p3 - kp < window);
            if (!(v0 | v1 | v2 | v3)) {
                s[slot] = s[s1 + slot] = s[s2 + slot] = s[s3 + slot] = Float.NEGATIVE_INFINITY;
                continue;
            }
            long keyByte = ((long) slot * kvDim + kvOffset) * 4L;
            FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
            for (int d = 0; d < headDim; d += S.length()) {
                VectorMask<Float> m = S.indexInRange(d, headDim);
                FloatVector k = FloatVector.fromMemorySegment(S, keys, keyByte + d * 4L, ByteOrder.LITTLE_ENDIAN, m);
                a0 = FloatVector.fromArray(S, q, q0 + d, m).fma(k, a0);
                a1 = FloatVector.fromArray(S, q, q1 + d, m).fma(k, a1);
                a2 = FloatVector.fromArray(S, q, q2 + d, m).fma(k, a2);
                a3 = FloatVector.fromArray(S, q, q3 + d, m).fma(k, a3);
            }
            float c0 = v0 ? a0.reduceLanes(VectorOperators.ADD) * scale : Float.NEGATIVE_INFINITY;
            float c1 = v1 ? a1.reduceLanes(VectorOperators.ADD) * scale : Float.NEGATIVE_INFINITY;
            float c2 = v2 ? a2.reduceLanes(VectorOperators.ADD) * scale : Float.NEGATIVE_INFINITY;
            float c3 = v3 ? a3.reduceLanes(VectorOperators.ADD) * scale : Float.NEGATIVE_INFINITY;
            s[slot] = c0;
            s[s1 + slot] = c1;
            s[s2 + slot] = c2;
            s[s3 + slot] = c3;
            if (c0 > m0) {
                m0 = c0;
            }
            if (c1 > m1) {
                m1 = c1;
            }
            if (c2 > m2) {
                m2 = c2;
            }
            if (c3 > m3) {
                m3 = c3;
            }
        }
        int o0 = r0 * outCols + c0h * headDim, o1 = r1 * outCols + c1h * headDim, o2 = r2 * outCols + c2h * headDim,
                o3 = r3 * outCols + c3h * headDim;
        for (int d = 0; d < headDim; d++) {
            out[o0 + d] = 0f;
            out[o1 + d] = 0f;
            out[o2 + d] = 0f;
            out[o3 + d] = 0f;
        }
        // A row that sees nothing keeps a zero output and zero weights (cannot happen for a token that
        // sees itself); the others get their softmax weights, already divided by their sums.
        float w0 = weights(s, 0, m0), w1 = weights(s, s1, m1), w2 = weights(s, s2, m2), w3 = weights(s, s3, m3);
        for (int slot = 0; slot < slotCount; slot++) {
            float e0 = s[slot], e1 = s[s1 + slot], e2 = s[s2 + slot], e3 = s[s3 + slot];
            if (e0 == 0f && e1 == 0f && e2 == 0f && e3 == 0f) {
                continue;
            }
            float f0 = e0 * w0, f1 = e1 * w1, f2 = e2 * w2, f3 = e3 * w3;
            long valueByte = ((long) slot * kvDim + kvOffset) * 4L;
            for (int d = 0; d < headDim; d += S.length()) {
                VectorMask<Float> m = S.indexInRange(d, headDim);
                FloatVector v = FloatVector.fromMemorySegment(S, values, valueByte + d * 4L, ByteOrder.LITTLE_ENDIAN, m);
                // Rows whose weight is 0 add nothing, as single() skips them; x + 0·v = x for finite v.
                if (e0 != 0f) {
                    v.mul(f0).add(FloatVector.fromArray(S, out, o0 + d, m)).intoArray(out, o0 + d, m);
                }
                if (e1 != 0f) {
                    v.mul(f1).add(FloatVector.fromArray(S, out, o1 + d, m)).intoArray(out, o1 + d, m);
                }
                if (e2 != 0f) {
                    v.mul(f2).add(FloatVector.fromArray(S, out, o2 + d, m)).intoArray(out, o2 + d, m);
                }
                if (e3 != 0f) {
                    v.mul(f3).add(FloatVector.fromArray(S, out, o3 + d, m)).intoArray(out, o3 + d, m);
                }
            }
        }
    }

    /**
     * Turns one row's scores at {@code s[from .. from + slotCount)} into {@code exp(score − max)} and
     * returns {@code 1 / Σ}, the factor {@link #single} applies; 0 for a row that sees nothing (its
     * scores become 0 too).
     */
    private float weights(float[] s, int from, float max) {
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
