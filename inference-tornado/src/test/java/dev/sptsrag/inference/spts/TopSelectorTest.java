package dev.sptsrag.inference.spts;

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
