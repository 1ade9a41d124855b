package dev.sptsrag.inference.backend;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.TreeSet;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

class TopSelectorTest {

    @Test
    void choosesLikeASortWithForcedRowsTiesAndNaN() {
        SplittableRandom rnd = new SplittableRandom(4);
        TopSelector selector = new TopSelector(5000);
        int[] out = new int[5000];
        for (int trial = 0; trial < 400; trial++) {
            int n = 1 + rnd.nextInt(5000);
            float[] scores = new float[n];
            for (int i = 0; i < n; i++) {
                // Few distinct values: many ties; some NaN.
                scores[i] = rnd.nextInt(20) == 0 ? Float.NaN : rnd.nextInt(trial % 2 == 0 ? 7 : 100000) / 7f;
            }
            int sinks = rnd.nextInt(3), recent = rnd.nextInt(3);
            int budget = 1 + sinks + recent + rnd.nextInt(n + 2);
            int got = selector.select(scores, n, budget, sinks, recent, out);
            int[] expected = reference(scores, n, budget, sinks, recent);
            assertEquals(expected.length, got, "trial " + trial);
            assertArrayEquals(expected, Arrays.copyOf(out, got), "trial " + trial);
        }
    }

    /**
     * The device's way ({@code select_top_rows} in spts.cu), modelled step by step in Java: forced
     * ranges from {@link TopSelector#forced}, a 4 × 8-bit radix select of the need-th best 32-bit key,
     * then rows better than it and the first of its ties in row order. Same rows as {@code select}.
     */
    @Test
    void theDeviceAlgorithmChoosesTheSameRows() {
        SplittableRandom rnd = new SplittableRandom(9);
        TopSelector selector = new TopSelector(3000);
        int[] out = new int[3000];
        for (int trial = 0; trial < 400; trial++) {
            int n = 1 + rnd.nextInt(3000);
            float[] scores = new float[n];
            for (int i = 0; i < n; i++) {
                scores[i] = switch (rnd.nextInt(40)) {
                    case 0 -> Float.NaN;
                    case 1 -> -0.0f;
                    case 2 -> Float.NEGATIVE_INFINITY;
                    default -> (rnd.nextBoolean() ? -1 : 1) * rnd.nextInt(trial % 2 == 0 ? 5 : 1 << 20) / 3f;
                };
            }
            int sinks = rnd.nextInt(4), recent = rnd.nextInt(4);
            int budget = 1 + rnd.nextInt(n + 3);
            int got = selector.select(scores, n, budget, sinks, recent, out);
            int[] device = deviceModel(scores, n, budget, sinks, recent);
            assertArrayEquals(Arrays.copyOf(out, got), device, "trial " + trial + " n " + n + " budget " + budget);
        }
    }

    private static int[] deviceModel(float[] scores, int n, int budget, int sinks, int recent) {
        TopSelector.Forced f = TopSelector.forced(n, budget, sinks, recent);
        int need = f.need();
        long prefix = 0, mask = 0;
        int rank = need;
        if (need > 0) {
            for (int shift = 24; shift >= 0; shift -= 8) {
                int[] hist = new int[256];
                for (int i = 0; i < n; i++) {
                    if (!forced(i, n, f)) {
                        long u = key(scores[i]);
                        if ((u & mask) == prefix) {
                            hist[(int) ((u >> shift) & 255)]++;
                        }
                    }
                }
                int d = 0;
                while (d < 255 && hist[d] < rank) {
                    rank -= hist[d++];
                }
                prefix |= (long) d << shift;
                mask |= 255L << shift;
            }
        }
        int tiesTaken = need > 0 ? rank : 0;
        int ties = 0;
        java.util.List<Integer> chosen = new java.util.ArrayList<>();
        for (int i = 0; i < n; i++) {
            boolean take = forced(i, n, f);
            if (!take && need > 0) {
                long u = key(scores[i]);
                take = u < prefix || (u == prefix && ties++ < tiesTaken);
            }
            if (take) {
                chosen.add(i);
            }
        }
        return chosen.stream().mapToInt(Integer::intValue).toArray();
    }

    private static boolean forced(int i, int n, TopSelector.Forced f) {
        return i == n - 1 || i < f.sinkEnd() || i >= f.recentBegin();
    }

    /** select_key: unsigned, smaller is better. */
    private static long key(float s) {
        if (Float.isNaN(s)) {
            s = Float.NEGATIVE_INFINITY;
        }
        int bits = Float.floatToRawIntBits(s);
        int ordered = bits ^ ((bits >> 31) & 0x7fffffff);
        return Integer.toUnsignedLong(~ordered ^ 0x80000000);
    }

    private static int[] reference(float[] s, int n, int budget, int sinks, int recent) {
        int m = Math.min(n, budget);
        TreeSet<Integer> chosen = new TreeSet<>();
        chosen.add(n - 1);
        for (int i = 0; i < Math.min(sinks, n) && chosen.size() < m; i++) {
            chosen.add(i);
        }
        for (int i = n - 2; i >= Math.max(0, n - 1 - recent) && chosen.size() < m; i--) {
            chosen.add(i);
        }
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            float x = Float.isNaN(s[a]) ? Float.NEGATIVE_INFINITY : s[a];
            float y = Float.isNaN(s[b]) ? Float.NEGATIVE_INFINITY : s[b];
            int c = Float.compare(y, x);
            return c != 0 ? c : Integer.compare(a, b);
        });
        for (int j = 0; j < n && chosen.size() < m; j++) {
            chosen.add(order[j]);
        }
        return chosen.stream().mapToInt(Integer::intValue).toArray();
    }
}
