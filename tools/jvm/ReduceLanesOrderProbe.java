import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

import java.util.SplittableRandom;

/**
 * Shows why the CPU backend does not use {@code reduceLanes(ADD)} where a result must not depend on
 * the JIT: sums 1,000 vectors of random floats once cold (interpreted) and again after C2 has
 * compiled the method, and counts the sums that differ. Run from the repository root:
 *
 * <pre>java --add-modules jdk.incubator.vector tools/jvm/ReduceLanesOrderProbe.java</pre>
 *
 * Seen 2026-12-01, Temurin 25: 574 of 1,000 differ on the 2-core AVX2 development machine (8 lanes);
 * 695 of 1,000 on the H200 host's AVX-512 Xeon (16 lanes) with a first version of this probe (the same
 * method, reduced inside a static helper). Whether they differ depends on how C2 compiles the call:
 * the same AVX2 machine gave 0 of 1,000 in that first version.
 */
public class ReduceLanesOrderProbe {
    private static final VectorSpecies<Float> S = FloatVector.SPECIES_PREFERRED;

    static float reduce(float[] a, int offset) {
        return FloatVector.fromArray(S, a, offset).reduceLanes(VectorOperators.ADD);
    }

    public static void main(String[] args) {
        SplittableRandom rnd = new SplittableRandom(1);
        int vectors = 1000;
        float[] a = new float[S.length() * vectors];
        for (int i = 0; i < a.length; i++) {
            a[i] = (float) (rnd.nextDouble() * 2 - 1) * 1000;
        }
        float[] cold = new float[vectors];
        for (int k = 0; k < vectors; k++) {
            cold[k] = reduce(a, k * S.length());
        }
        for (int round = 0; round < 20_000; round++) {
            for (int k = 0; k < vectors; k++) {
                reduce(a, k * S.length());
            }
        }
        int differ = 0;
        for (int k = 0; k < vectors; k++) {
            if (Float.floatToRawIntBits(reduce(a, k * S.length())) != Float.floatToRawIntBits(cold[k])) {
                differ++;
            }
        }
        System.out.println(S.length() + " float lanes: " + differ + " of " + vectors
                + " sums differ between the interpreter and C2");
    }
}
