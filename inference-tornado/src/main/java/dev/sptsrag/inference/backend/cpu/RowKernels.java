package dev.sptsrag.inference.backend.cpu;

import dev.sptsrag.inference.simd.LaneSums;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The per-row ops of a transformer block (RMSNorm, RoPE) and the element-wise ones (SwiGLU, residual
 * add, bias), each a long-lived {@link ThreadTeam.RangeTask} whose operands are set before dispatch.
 */
final class RowKernels {
    static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    private RowKernels() {
    }

    /** {@code out[r] = x[r] * weight / sqrt(mean(x[r]^2) + eps)}, parallel over rows. */
    static final class RmsNorm implements ThreadTeam.RangeTask {
        float[] x;
        float[] out;
        float[] weight;
        int cols;
        float eps;

        @Override
        public void run(int start, int end, int worker) {
            for (int r = start; r < end; r++) {
                int base = r * cols;
                // Fixed order of additions: the same floats in every JIT tier (LaneSums says why).
                float ss = LaneSums.dot(x, base, x, base, cols) / cols;
                float scale = (float) (1.0 / Math.sqrt(ss + eps));
                for (int i = 0; i < cols; i += S.length()) {
                    VectorMask<Float> m = S.indexInRange(i, cols);
                    FloatVector v = FloatVector.fromArray(S, x, base + i, m).mul(scale);
                    v.mul(FloatVector.fromArray(S, weight, i, m)).intoArray(out, base + i, m);
                }
            }
        }
    }

    /** Rotates every head of each row by its position's angles. */
    static final class Rope implements ThreadTeam.RangeTask {
        float[] x;
        int cols;
        int heads;
        int headDim;
        int[] positions;
        CpuRotaryTable table;
        float[][] cos = new float[0][];
        float[][] sin = new float[0][];

        void reserve(int workers, int pairs) {
            if (cos.length < workers || (cos.length > 0 && cos[0].length < pairs)) {
                cos = new float[workers][pairs];
                sin = new float[workers][pairs];
            }
        }

        @Override
        public void run(int start, int end, int worker) {
            float[] inv = table.inverseFrequencies();
            int[] first = table.first();
            int[] second = table.second();
            int pairs = inv.length;
            float[] c = cos[worker];
            float[] s = sin[worker];
            for (int r = start; r < end; r++) {
                float p = positions[r];
                for (int i = 0; i < pairs; i++) {
                    float angle = p * inv[i]; // float32 product, as the reference implementations compute it
                    c[i] = (float) Math.cos(angle);
                    s[i] = (float) Math.sin(angle);
                }
                for (int h = 0; h < heads; h++) {
                    int base = r * cols + h * headDim;
                    for (int i = 0; i < pairs; i++) {
                        int a = base + first[i];
                        int b = base + second[i];
                        float x0 = x[a];
                        float x1 = x[b];
                        x[a] = x0 * c[i] - x1 * s[i];
                        x[b] = x1 * c[i] + x0 * s[i];
                    }
                }
            }
        }
    }

    /** {@code out = silu(gate) * up} over a flat element range. */
    static final class SwiGlu implements ThreadTeam.RangeTask {
        float[] gate;
        float[] up;
        float[] out;

        @Override
        public void run(int start, int end, int worker) {
            for (int i = start; i < end; i += S.length()) {
                VectorMask<Float> m = S.indexInRange(i, end);
                FloatVector g = FloatVector.fromArray(S, gate, i, m);
                FloatVector u = FloatVector.fromArray(S, up, i, m);
                FloatVector silu = g.div(g.neg().lanewise(VectorOperators.EXP).add(1f));
                silu.mul(u).intoArray(out, i, m);
            }
        }
    }

    /**
     * {@code out[outAt + i] = silu(a[gateAt + i]) * a[upAt + i]} for i below n, with the arithmetic of
     * {@link SwiGlu} (same vector ops, so the same floats as the element-wise kernel).
     */
    static void swiglu(float[] a, int gateAt, int upAt, float[] out, int outAt, int n) {
        for (int i = 0; i < n; i += S.length()) {
            VectorMask<Float> m = S.indexInRange(i, n);
            FloatVector g = FloatVector.fromArray(S, a, gateAt + i, m);
            FloatVector u = FloatVector.fromArray(S, a, upAt + i, m);
            FloatVector silu = g.div(g.neg().lanewise(VectorOperators.EXP).add(1f));
            silu.mul(u).intoArray(out, outAt + i, m);
        }
    }

    /** {@code acc += x} over a flat element range. */
    static final class Add implements ThreadTeam.RangeTask {
        float[] acc;
        float[] x;

        @Override
        public void run(int start, int end, int worker) {
            for (int i = start; i < end; i += S.length()) {
                VectorMask<Float> m = S.indexInRange(i, end);
                FloatVector.fromArray(S, acc, i, m).add(FloatVector.fromArray(S, x, i, m)).intoArray(acc, i, m);
            }
        }
    }

    /** {@code x[r] += bias}, parallel over rows. */
    static final class AddBias implements ThreadTeam.RangeTask {
        float[] x;
        float[] bias;
        int cols;

        @Override
        public void run(int start, int end, int worker) {
            for (int r = start; r < end; r++) {
                int base = r * cols;
                for (int i = 0; i < cols; i += S.length()) {
                    VectorMask<Float> m = S.indexInRange(i, cols);
                    FloatVector.fromArray(S, x, base + i, m).add(FloatVector.fromArray(S, bias, i, m))
                            .intoArray(x, base + i, m);
                }
            }
        }
    }
}
