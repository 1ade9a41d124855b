package dev.sptsrag.inference.backend;

import java.util.Arrays;

/**
 * Chooses the active rows of a layer: the last row, the protected sink and recent rows, then the
 * highest scores until the budget is met (equal scores: the earlier row; NaN ranks lowest). The result
 * is in ascending row order, so active tokens keep their original order. Buffers are sized once.
 *
 * <p>This is the rule of {@link Backend#selectRows}; the CPU backend runs it as is, a GPU backend
 * must choose the same rows (it takes the forced rows from {@link #forced}).
 */
public final class TopSelector {
    private final long[] keys;
    private final boolean[] chosen;

    public TopSelector(int capacity) {
        keys = new long[capacity];
        chosen = new boolean[capacity];
    }

    /**
     * @param scores one score per row, rows {@code 0..n-1}
     * @param budget rows to choose (at most n)
     * @param out    receives the chosen rows, ascending
     * @return the number chosen: {@code min(n, budget)}
     */
    public int select(float[] scores, int n, int budget, int sinks, int recent, int[] out) {
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
                // Ascending key: highest score first, then the lower row; rows already chosen go last.
                keys[i] = chosen[i] ? Long.MAX_VALUE : ((long) ~ordered << 32) | i;
            }
            // Only the best (m - picked) free rows are needed, in no order: a linear-time selection, not a
            // sort (at 32K candidates a sort per layer costs milliseconds on the host while the GPU waits).
            int need = m - picked;
            selectSmallest(keys, n, need);
            for (int j = 0; j < need; j++) {
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

    /** Capacity in rows. */
    public int capacity() {
        return keys.length;
    }

    /**
     * The rows {@link #select} takes before it looks at any score, as ranges, and how many score-ranked
     * rows it takes after them: the last row, sinks {@code [0, sinkEnd)}, recent {@code [recentBegin, n-1)}
     * (ranges may overlap), then {@code need} of the other rows. The same loops as {@code select}, without
     * the per-row marks, so a device can pick the rest itself.
     *
     * @param n rows, at least 1
     */
    public static Forced forced(int n, int budget, int sinks, int recent) {
        int m = Math.min(n, budget);
        int picked = 1; // the last row
        int sinkEnd = 0;
        for (int i = 0; i < Math.min(sinks, n) && picked < m; i++) {
            if (i != n - 1) {
                picked++;
            }
            sinkEnd = i + 1;
        }
        int recentBegin = n - 1;
        for (int i = n - 2; i >= Math.max(0, n - 1 - recent) && picked < m; i--) {
            if (i >= sinkEnd) {
                picked++;
            }
            recentBegin = i;
        }
        return new Forced(sinkEnd, recentBegin, Math.max(0, m - picked));
    }

    /** See {@link #forced}. */
    public record Forced(int sinkEnd, int recentBegin, int need) {
    }

    /** Reorders {@code a[0..n)} so that its {@code k} smallest (distinct) values come first (quickselect). */
    static void selectSmallest(long[] a, int n, int k) {
        int lo = 0, hi = n - 1;
        while (lo < hi && k > lo && k <= hi) {
            int mid = (lo + hi) >>> 1;
            long pivot = median(a[lo], a[mid], a[hi]);
            int i = lo, j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    long t = a[i];
                    a[i] = a[j];
                    a[j] = t;
                    i++;
                    j--;
                }
            }
            // a[lo..j] <= pivot <= a[i..hi]; continue on the side that holds position k.
            if (k <= j) {
                hi = j;
            } else if (k >= i) {
                lo = i;
            } else {
                return;
            }
        }
    }

    private static long median(long a, long b, long c) {
        return Math.max(Math.min(a, b), Math.min(Math.max(a, b), c));
    }

    private int mark(int i) {
        if (chosen[i]) {
            return 0;
        }
        chosen[i] = true;
        return 1;
    }
}
