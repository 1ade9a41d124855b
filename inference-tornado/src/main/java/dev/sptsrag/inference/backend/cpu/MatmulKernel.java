package dev.sptsrag.inference.backend.cpu;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * {@code out[r][o] = Σ_i x[r][i] · W[o][i]} with float32 weights in native memory. Work is split over
 * output rows; each step computes a 4 × 4 tile (four weight rows against four token rows) so every
 * weight vector loaded from memory feeds four FMAs — the batched prefill is compute-bound rather than
 * bandwidth-bound. Decode (one token row) falls back to 4 × 1 tiles.
 */
final class MatmulKernel implements ThreadTeam.RangeTask {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    /** Output rows per parallel chunk; a multiple of 4 so chunks align with tiles. */
    static final int GRAIN = 32;

    private float[] x;
    private int rows;
    private int in;
    private MemorySegment w;
    private float[] out;
    private int outCols;

    void set(float[] x, int rows, int in, MemorySegment w, float[] out, int outCols) {
        this.x = x;
        this.rows = rows;
        this.in = in;
        this.w = w;
        this.out = out;
        this.outCols = outCols;
    }

    void clear() {
        x = null;
        w = null;
        out = null;
    }

    @Override
    public void run(int start, int end, int worker) {
        int o = start;
        for (; o + 4 <= end; o += 4) {
            int r = 0;
            for (; r + 4 <= rows; r += 4) {
                tile4x4(o, r);
            }
            for (; r < rows; r++) {
                tile4x1(o, r);
            }
        }
        for (; o < end; o++) {
            for (int r = 0; r < rows; r++) {
                out[r * outCols + o] = dot(o, r);
            }
        }
    }

    private void tile4x4(int o, int r) {
        long w0 = (long) o * in * 4L, w1 = w0 + in * 4L, w2 = w1 + in * 4L, w3 = w2 + in * 4L;
        int x0 = r * in, x1 = x0 + in, x2 = x1 + in, x3 = x2 + in;
        FloatVector a00 = FloatVector.zero(S), a01 = a00, a02 = a00, a03 = a00;
        FloatVector a10 = a00, a11 = a00, a12 = a00, a13 = a00;
        FloatVector a20 = a00, a21 = a00, a22 = a00, a23 = a00;
        FloatVector a30 = a00, a31 = a00, a32 = a00, a33 = a00;
        int len = S.length();
        int bound = S.loopBound(in);
        // Unmasked loads only: masked ones make this method too large for C1's profiling tier, and a method
        // that cannot pass through tier 3 never reaches C2 (it stays in the slow, non-intrinsified tier 2).
        for (int i = 0; i < bound; i += len) {
            long bi = i * 4L;
            FloatVector v0 = FloatVector.fromMemorySegment(S, w, w0 + bi, ByteOrder.LITTLE_ENDIAN);
            FloatVector v1 = FloatVector.fromMemorySegment(S, w, w1 + bi, ByteOrder.LITTLE_ENDIAN);
            FloatVector v2 = FloatVector.fromMemorySegment(S, w, w2 + bi, ByteOrder.LITTLE_ENDIAN);
            FloatVector v3 = FloatVector.fromMemorySegment(S, w, w3 + bi, ByteOrder.LITTLE_ENDIAN);
            FloatVector u = FloatVector.fromArray(S, x, x0 + i);
            a00 = v0.fma(u, a00);
            a10 = v1.fma(u, a10);
            a20 = v2.fma(u, a20);
            a30 = v3.fma(u, a30);
            u = FloatVector.fromArray(S, x, x1 + i);
            a01 = v0.fma(u, a01);
            a11 = v1.fma(u, a11);
            a21 = v2.fma(u, a21);
            a31 = v3.fma(u, a31);
            u = FloatVector.fromArray(S, x, x2 + i);
            a02 = v0.fma(u, a02);
            a12 = v1.fma(u, a12);
            a22 = v2.fma(u, a22);
            a32 = v3.fma(u, a32);
            u = FloatVector.fromArray(S, x, x3 + i);
            a03 = v0.fma(u, a03);
            a13 = v1.fma(u, a13);
            a23 = v2.fma(u, a23);
            a33 = v3.fma(u, a33);
        }
        int b0 = r * outCols + o, b1 = b0 + outCols, b2 = b1 + outCols, b3 = b2 + outCols;
        out[b0] = a00.reduceLanes(VectorOperators.ADD);
        out[b0 + 1] = a10.reduceLanes(VectorOperators.ADD);
        out[b0 + 2] = a20.reduceLanes(VectorOperators.ADD);
        out[b0 + 3] = a30.reduceLanes(VectorOperators.ADD);
        out[b1] = a01.reduceLanes(VectorOperators.ADD);
        out[b1 + 1] = a11.reduceLanes(VectorOperators.ADD);
        out[b1 + 2] = a21.reduceLanes(VectorOperators.ADD);
        out[b1 + 3] = a31.reduceLanes(VectorOperators.ADD);
        out[b2] = a02.reduceLanes(VectorOperators.ADD);
        out[b2 + 1] = a12.reduceLanes(VectorOperators.ADD);
        out[b2 + 2] = a22.reduceLanes(VectorOperators.ADD);
        out[b2 + 3] = a32.reduceLanes(VectorOperators.ADD);
        out[b3] = a03.reduceLanes(VectorOperators.ADD);
        out[b3 + 1] = a13.reduceLanes(VectorOperators.ADD);
        out[b3 + 2] = a23.reduceLanes(VectorOperators.ADD);
        out[b3 + 3] = a33.reduceLanes(VectorOperators.ADD);
        if (bound < in) {
            for (int k = 0; k < 4; k++) {
                for (int j = 0; j < 4; j++) {
                    out[(r + k) * outCols + o + j] += tail(o + j, r + k, bound);
                }
            }
        }
    }

    private void tile4x1(int o, int r) {
        long w0 = (long) o * in * 4L, w1 = w0 + in * 4L, w2 = w1 + in * 4L, w3 = w2 + in * 4L;
        int x0 = r * in;
        FloatVector a0 = FloatVector.zero(S), a1 = a0, a2 = a0, a3 = a0;
        int len = S.length();
        int bound = S.loopBound(in);
        for (int i = 0; i < bound; i += len) {
            long bi = i * 4L;
            FloatVector u = FloatVector.fromArray(S, x, x0 + i);
            a0 = FloatVector.fromMemorySegment(S, w, w0 + bi, ByteOrder.LITTLE_ENDIAN).fma(u, a0);
            a1 = FloatVector.fromMemorySegment(S, w, w1 + bi, ByteOrder.LITTLE_ENDIAN).fma(u, a1);
            a2 = FloatVector.fromMemorySegment(S, w, w2 + bi, ByteOrder.LITTLE_ENDIAN).fma(u, a2);
            a3 = FloatVector.fromMemorySegment(S, w, w3 + bi, ByteOrder.LITTLE_ENDIAN).fma(u, a3);
        }
        int base = r * outCols + o;
        out[base] = a0.reduceLanes(VectorOperators.ADD) + tail(o, r, bound);
        out[base + 1] = a1.reduceLanes(VectorOperators.ADD) + tail(o + 1, r, bound);
        out[base + 2] = a2.reduceLanes(VectorOperators.ADD) + tail(o + 2, r, bound);
        out[base + 3] = a3.reduceLanes(VectorOperators.ADD) + tail(o + 3, r, bound);
    }

    private float dot(int o, int r) {
        long w0 = (long) o * in * 4L;
        int x0 = r * in;
        FloatVector a = FloatVector.zero(S);
        int bound = S.loopBound(in);
        for (int i = 0; i < bound; i += S.length()) {
            a = FloatVector.fromMemorySegment(S, w, w0 + i * 4L, ByteOrder.LITTLE_ENDIAN)
                    .fma(FloatVector.fromArray(S, x, x0 + i), a);
        }
        return a.reduceLanes(VectorOperators.ADD) + tail(o, r, bound);
    }

    /** The columns past the last whole vector (none for the usual model widths, all multiples of 64). */
    private float tail(int o, int r, int from) {
        long w0 = (long) o * in * 4L;
        int x0 = r * in;
        float sum = 0f;
        for (int i = from; i < in; i++) {
            sum = Math.fma(w.get(ValueLayout.JAVA_FLOAT_UNALIGNED, w0 + i * 4L), x[x0 + i], sum);
        }
        return sum;
    }
}
