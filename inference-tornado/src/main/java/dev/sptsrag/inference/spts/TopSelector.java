package dev.sptsrag.inference.spts;

import java.util.Arrays;

/**
 * Chooses the active rows of a layer: the last row, the protected sink and recent rows, then the
 * highest scores until the budget is met (equal scores: the earlier row; NaN ranks lowest). The result
 * is in ascending row order, so active tokens keep their original order. Buffers are sized once.
 */
final class TopSelector {
    private final long[] keys;
    private final boolean[] chosen;

    TopSelector(int capacity) {
        keys = new long[capacity];
        chosen = new boolean[capacity];
    }

    /**
     * @param scores one score per row, rows {@code 0..n-1}
     * @param budget rows to choose (at most n)
     * @param out    receives the chosen rows, ascending
     * @return the number chosen: {@code min(n, budget)}
     */
    int select(float[] scores, int n, int budget, int sinks, int recent, int[] out) {
        int m = Math.min(n, budget);
        Arrays.fill(chosen, 0, n, false);
        int picked = 0;
        picked += mark(n - 1);
        for (int i = 0; i < Math.min(sinks, n) && picked < m; i++) {
            picked += mark(i);
        }
        for (int i = n - 2; i >= Math.max(0, n - 1 - recent) && picked < m; i--) {
            picked += mark(i);
        }
        if (picked < m) {
            for (int i = 0; i < n; i++) {
                float s = Float.isNaN(scores[i]) ? Float.NEGATIVE_INFINITY : scores[i];
                int bits = Float.floatToIntBits(s);
                int ordered = bits ^ ((bits >> 31) & 0x7fffffff); // ascending with the float
                keys[i] = ((long) ~ordered << 32) | i;             // ascending key: highest score first, then lower row
            }
            Arrays.sort(keys, 0, n);
            for (int j = 0; j < n && picked < m; j++) {
                picked += mark((int) keys[j]);
            }
        }
        int c = 0;
        for (int i = 0; i < n; i++) {
            if (chosen[i]) {
                out[c++] = i;
            }
        }
        return c;
    }

    private int mark(int i) {
        if (chosen[i]) {
            return 0;
        }
        chosen[i] = true;
        return 1;
    }
}
