package dev.sptsrag.inference.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** Checks one position's logits against a reference: bounded error relative to the reference scale, same argmax, no NaN. */
public final class LogitComparison {
    private LogitComparison() {
    }

    /** Returns max |Δ| / max |ref| at this position. */
    public static double assertClose(String what, double[] ref, float[] actual, double relativeTolerance) {
        double maxRef = 0, maxDiff = 0;
        int refArg = 0, actArg = 0;
        for (int i = 0; i < ref.length; i++) {
            if (Float.isNaN(actual[i]) || Float.isInfinite(actual[i])) {
                fail(what + ": logit " + i + " is " + actual[i]);
            }
            maxRef = Math.max(maxRef, Math.abs(ref[i]));
            maxDiff = Math.max(maxDiff, Math.abs(ref[i] - actual[i]));
            if (ref[i] > ref[refArg]) {
                refArg = i;
            }
            if (actual[i] > actual[actArg]) {
                actArg = i;
            }
        }
        double rel = maxDiff / maxRef;
        assertTrue(rel <= relativeTolerance, what + ": max|Δ|/max|ref| = " + rel + " > " + relativeTolerance);
        assertEquals(refArg, actArg, what + ": argmax differs");
        return rel;
    }
}
