package dev.sptsrag.inference.backend.cpu;

import dev.sptsrag.inference.backend.AttentionShape;
import dev.sptsrag.inference.simd.LaneSums;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.nio.ByteOrder;

/**
 * Causal attention over a position-tagged KV cache, one (query row, head) pair per work item:
 * scores {@code q·k · scale} for the visible slots, a max-subtracted softmax, and the weighted sum of
 * values. Invisible slots (later positions, or outside the sliding window) get probability zero.
 * Each worker owns a score buffer as long as the cache, so nothing is allocated per call.
 */
final class AttentionKernel implements ThreadTeam.RangeTask {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private float[][] scores = new float[0][];

    private float[] q;
    private int qCols;
    private int[] queryPositions;
    private MemorySegment keys;
    private MemorySegment values;
    private int[] slotPositions;
    private int kvDim;
    private int slotCount;
    private AttentionShape shape;
    private float[] out;
    private int outCols;

    /** Makes sure each of {@code workers} has a score buffer of at least {@code capacity} floats. */
    void reserve(int workers, int capacity) {
        if (scores.length < workers) {
            float[][] grown = new float[workers][];
            System.arraycopy(scores, 0, grown, 0, scores.length);
            scores = grown;
        }
        for (int w = 0; w < workers; w++) {
            if (scores[w] == null || scores[w].length < capacity) {
                scores[w] = new float[capacity];
            }
        }
    }

    void set(CpuActivations q, int[] queryPositions, CpuKvCacheLayer cache, int slotCount, AttentionShape shape,
             CpuActivations out) {
        this.q = q.data();
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

    @Override
    public void run(int start, int end, int worker) {
        float[] s = scores[worker];
        int heads = shape.headCount();
        int headDim = shape.headDim();
        int group = shape.groupSize();
        int window = shape.slidingWindow();
        float scale = shape.scale();
        for (int item = start; item < end; item++) {
            int r = item / heads;
            int h = item % heads;
            int kvOffset = (h / group) * headDim;
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
                continue; // nothing visible: a zero output (cannot happen for a token that sees itself)
            }
            float sum = expInPlace(s, slotCount, max);
            float inv = 1f / sum;
            for (int slot = 0; slot < slotCount; slot++) {
                float p = s[slot];
                if (p != 0f) {
                    accumulate(oBase, ((long) slot * kvDim + kvOffset) * 4L, headDim, p * inv);
                }
            }
        }
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

    /** {@code s[i] = exp(s[i] - max)}, returning the sum (in LaneSums' fixed order). */
    private static float expInPlace(float[] s, int n, float max) {
        int i = 0;
        for (; i < S.loopBound(n); i += S.length()) {
            FloatVector.fromArray(S, s, i).sub(max).lanewise(VectorOperators.EXP).intoArray(s, i);
        }
        for (; i < n; i++) {
            s[i] = (float) Math.exp(s[i] - max);
        }
        return LaneSums.sum(s, 0, n);
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
