package dev.sptsrag.inference.spts.ltp;

import dev.sptsrag.inference.simd.LaneSums;
import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The few dense loops LTP needs (dot products and scaled adds over array slices), with the Vector
 * API: a plain Java floating-point reduction is never vectorised by the JIT, because its order of
 * additions is fixed by the language. The dots are {@link LaneSums}', whose order is fixed too (so a
 * proxy's scores do not change with JIT warm-up). Bounds are the caller's to respect (the arrays check
 * them).
 */
final class DenseKernels {
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;

    private DenseKernels() {
    }

    /** {@code Σ a[aOff + i] · b[bOff + i]} for i below n, in a fixed order of additions. */
    static float dot(float[] a, int aOff, float[] b, int bOff, int n) {
        return LaneSums.dot(a, aOff, b, bOff, n);
    }

    /** {@code Σ a[aOff + i] · b[bOff + i]} for i below n, in a fixed order of additions. */
    static double dot(double[] a, int aOff, double[] b, int bOff, int n) {
        return LaneSums.dot(a, aOff, b, bOff, n);
    }

    /** {@code y[yOff + i] += alpha · x[xOff + i]} for i below n. */
    static void axpy(double alpha, double[] x, int xOff, double[] y, int yOff, int n) {
        DoubleVector a = DoubleVector.broadcast(D, alpha);
        int i = 0;
        for (int end = D.loopBound(n); i < end; i += D.length()) {
            DoubleVector.fromArray(D, x, xOff + i).fma(a, DoubleVector.fromArray(D, y, yOff + i)).intoArray(y, yOff + i);
        }
        for (; i < n; i++) {
            y[yOff + i] += alpha * x[xOff + i];
        }
    }

    /** {@code x[p], x[q] ← c·x[p] − s·x[q], s·x[p] + c·x[q]} over n values: one Jacobi rotation. */
    static void rotate(double[] p, double[] q, double c, double s, int n) {
        DoubleVector vc = DoubleVector.broadcast(D, c);
        DoubleVector vs = DoubleVector.broadcast(D, s);
        int i = 0;
        for (int end = D.loopBound(n); i < end; i += D.length()) {
            DoubleVector a = DoubleVector.fromArray(D, p, i);
            DoubleVector b = DoubleVector.fromArray(D, q, i);
            a.mul(vc).sub(b.mul(vs)).intoArray(p, i);
            a.mul(vs).add(b.mul(vc)).intoArray(q, i);
        }
        for (; i < n; i++) {
            double a = p[i];
            double b = q[i];
            p[i] = c * a - s * b;
            q[i] = s * a + c * b;
        }
    }
}
