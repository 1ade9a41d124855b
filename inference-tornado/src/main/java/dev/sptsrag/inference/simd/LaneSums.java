package dev.sptsrag.inference.simd;

import jdk.incubator.vector.DoubleVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Sums over arrays whose order of additions is fixed, so they give the same float whether the code
 * runs interpreted, C1- or C2-compiled, on AVX2 or AVX-512: whole vectors are accumulated lane-wise in
 * index order, the accumulator's lanes are summed by a pairwise tree (lane i with lane i + n/2, then
 * i + n/4, …), and the elements past the last whole vector are added one by one.
 *
 * <p>Why not {@code reduceLanes(ADD)}: the Vector API leaves the order of a floating-point reduction
 * open, and HotSpot uses it — the Java fallback adds lane by lane, while C2 on x86-64 with AVX-512 emits
 * an unordered reduction (JDK-8337062). RMSNorm then gave different floats before and after JIT
 * warm-up, and a fused kernel no longer matched the two ops it fuses.
 *
 * <p>Each method takes arrays and returns a scalar, with the tree written in its own body: a vector
 * handed to a helper that C2 declines to inline is boxed on the heap (measured: several times slower).
 */
public final class LaneSums {
    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final VectorSpecies<Double> D = DoubleVector.SPECIES_PREFERRED;
    private static final int F_LANES = F.length();
    private static final int D_LANES = D.length();

    // Tree levels: lane i takes lane i XOR step. A level wider than the species is skipped by a test of
    // a constant, which C2 folds away.
    private static final VectorShuffle<Float> F_BY_8 = partners(F, 8);
    private static final VectorShuffle<Float> F_BY_4 = partners(F, 4);
    private static final VectorShuffle<Float> F_BY_2 = partners(F, 2);
    private static final VectorShuffle<Float> F_BY_1 = partners(F, 1);
    private static final VectorShuffle<Double> D_BY_4 = partners(D, 4);
    private static final VectorShuffle<Double> D_BY_2 = partners(D, 2);
    private static final VectorShuffle<Double> D_BY_1 = partners(D, 1);

    static {
        if (F_LANES > 16 || D_LANES > 8) {
            throw new ExceptionInInitializerError("a four-level lane tree for " + F_LANES + " floats");
        }
    }

    private LaneSums() {
    }

    /** {@code a[from] + … + a[from + n − 1]} in the fixed order. */
    public static float sum(float[] a, int from, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F_LANES) {
            acc = acc.add(FloatVector.fromArray(F, a, from + i));
        }
        if (F_LANES == 16) {
            acc = acc.add(acc.rearrange(F_BY_8));
        }
        if (F_LANES >= 8) {
            acc = acc.add(acc.rearrange(F_BY_4));
        }
        if (F_LANES >= 4) {
            acc = acc.add(acc.rearrange(F_BY_2));
        }
        if (F_LANES >= 2) {
            acc = acc.add(acc.rearrange(F_BY_1));
        }
        float total = acc.lane(0);
        for (; i < n; i++) {
            total += a[from + i];
        }
        return total;
    }

    /** {@code Σ a[aFrom + i] · b[bFrom + i]} for i below n, each product fused into its lane's sum. */
    public static float dot(float[] a, int aFrom, float[] b, int bFrom, int n) {
        FloatVector acc = FloatVector.zero(F);
        int i = 0;
        for (int bound = F.loopBound(n); i < bound; i += F_LANES) {
            acc = FloatVector.fromArray(F, a, aFrom + i).fma(FloatVector.fromArray(F, b, bFrom + i), acc);
        }
        if (F_LANES == 16) {
            acc = acc.add(acc.rearrange(F_BY_8));
        }
        if (F_LANES >= 8) {
            acc = acc.add(acc.rearrange(F_BY_4));
        }
        if (F_LANES >= 4) {
            acc = acc.add(acc.rearrange(F_BY_2));
        }
        if (F_LANES >= 2) {
            acc = acc.add(acc.rearrange(F_BY_1));
        }
        float total = acc.lane(0);
        for (; i < n; i++) {
            total = Math.fma(a[aFrom + i], b[bFrom + i], total);
        }
        return total;
    }

    /** {@code Σ a[aFrom + i] · b[bFrom + i]} for i below n, in doubles. */
    public static double dot(double[] a, int aFrom, double[] b, int bFrom, int n) {
        DoubleVector acc = DoubleVector.zero(D);
        int i = 0;
        for (int bound = D.loopBound(n); i < bound; i += D_LANES) {
            acc = DoubleVector.fromArray(D, a, aFrom + i).fma(DoubleVector.fromArray(D, b, bFrom + i), acc);
        }
        if (D_LANES == 8) {
            acc = acc.add(acc.rearrange(D_BY_4));
        }
        if (D_LANES >= 4) {
            acc = acc.add(acc.rearrange(D_BY_2));
        }
        if (D_LANES >= 2) {
            acc = acc.add(acc.rearrange(D_BY_1));
        }
        double total = acc.lane(0);
        for (; i < n; i++) {
            total = Math.fma(a[aFrom + i], b[bFrom + i], total);
        }
        return total;
    }

    /**
     * The order written out in scalars: what {@link #sum(float[], int, int)} computes for any n, for
     * tests to compare against bit for bit.
     */
    public static float referenceSum(float[] a, int from, int n) {
        float[] lanes = new float[F_LANES];
        int whole = n - n % F_LANES;
        for (int i = 0; i < whole; i++) {
            lanes[i % F_LANES] += a[from + i];
        }
        for (int width = F_LANES; width > 1; width /= 2) {
            for (int i = 0; i < width / 2; i++) {
                lanes[i] = lanes[i] + lanes[i + width / 2];
            }
        }
        float total = lanes[0];
        for (int i = whole; i < n; i++) {
            total += a[from + i];
        }
        return total;
    }

    /** The number of float lanes the sums use ({@link FloatVector#SPECIES_PREFERRED}). */
    public static int floatLanes() {
        return F_LANES;
    }

    private static <E> VectorShuffle<E> partners(VectorSpecies<E> species, int step) {
        int n = species.length();
        return VectorShuffle.fromOp(species, i -> (i ^ step) % n);
    }
}
