package dev.sptsrag.inference.simd;

import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;

class LaneSumsTest {

    @Test
    void sumIsTheWrittenOutOrderBeforeAndAfterWarmUp() {
        SplittableRandom rnd = new SplittableRandom(11);
        float[] values = mixedMagnitudes(rnd, 5000);
        int[] lengths = {0, 1, 3, 7, 8, 15, 16, 17, 33, 250, 1000, 4999};
        float[] first = new float[lengths.length];
        for (int k = 0; k < lengths.length; k++) {
            first[k] = LaneSums.sum(values, 1, lengths[k]); // first calls: interpreted or C1
        }
        float[] warm = new float[lengths.length];
        for (int round = 0; round < 4000; round++) { // enough calls and loop iterations for C2
            for (int k = 0; k < lengths.length; k++) {
                warm[k] = LaneSums.sum(values, 1, lengths[k]);
            }
        }
        for (int k = 0; k < lengths.length; k++) {
            float reference = LaneSums.referenceSum(values, 1, lengths[k]);
            assertEquals(Float.floatToRawIntBits(reference), Float.floatToRawIntBits(first[k]), "n " + lengths[k] + ", first call");
            assertEquals(Float.floatToRawIntBits(reference), Float.floatToRawIntBits(warm[k]), "n " + lengths[k] + ", after warm-up");
        }
    }

    @Test
    void theOrderIsNotLeftToRight() {
        // 1e8 + 1 rounds back to 1e8 in float: left to right loses both ones, the lane tree keeps one
        // (lane 1 pairs with the −1e8 lane before it meets 1e8).
        int lanes = LaneSums.floatLanes();
        float[] a = new float[lanes];
        a[0] = 1e8f;
        a[1] = 1f;
        a[1 ^ (lanes / 2)] = -1e8f;
        a[lanes - 1] += 1f;
        float leftToRight = 0;
        for (float v : a) {
            leftToRight += v;
        }
        float fixed = LaneSums.sum(a, 0, lanes);
        assertEquals(LaneSums.referenceSum(a, 0, lanes), fixed);
        assertNotEquals(leftToRight, fixed);
    }

    @Test
    void dotsAgreeWithDoublePrecisionAndAreRepeatable() {
        SplittableRandom rnd = new SplittableRandom(5);
        float[] a = mixedMagnitudes(rnd, 777);
        float[] b = mixedMagnitudes(rnd, 777);
        double[] da = new double[a.length];
        double[] db = new double[b.length];
        double exact = 0;
        double magnitude = 0;
        for (int i = 0; i < a.length; i++) {
            da[i] = a[i];
            db[i] = b[i];
            exact += (double) a[i] * b[i];
            magnitude += Math.abs((double) a[i] * b[i]);
        }
        float f = LaneSums.dot(a, 0, b, 0, a.length);
        double d = LaneSums.dot(da, 0, db, 0, da.length);
        assertEquals(exact, f, magnitude * 1e-6);
        assertEquals(exact, d, magnitude * 1e-14);
        for (int round = 0; round < 4000; round++) {
            assertEquals(Float.floatToRawIntBits(f), Float.floatToRawIntBits(LaneSums.dot(a, 0, b, 0, a.length)));
            assertEquals(Double.doubleToRawLongBits(d), Double.doubleToRawLongBits(LaneSums.dot(da, 0, db, 0, da.length)));
        }
    }

    private static float[] mixedMagnitudes(SplittableRandom rnd, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            // Different orders of addition would round these differently.
            values[i] = (float) ((rnd.nextDouble() - 0.5) * Math.pow(10, rnd.nextInt(7)));
        }
        return values;
    }
}
