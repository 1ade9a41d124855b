package dev.sptsrag.inference.engine;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SamplerTest {
    private static final int VOCAB = 1000;

    private static float[] randomLogits(long seed) {
        SplittableRandom r = new SplittableRandom(seed);
        float[] l = new float[VOCAB];
        for (int i = 0; i < VOCAB; i++) {
            l[i] = (float) (r.nextGaussian() * 3);
        }
        return l;
    }

    private static SamplingOptions options(double temperature, int topK, double topP, double minP, long seed) {
        return new SamplingOptions(16, temperature, topK, topP, minP, 1, 0, 0, seed, List.of());
    }

    private static int[] draw(SamplingOptions o, long seed, int n, float[] logits) {
        Sampler s = new Sampler(VOCAB);
        s.reset(o, seed);
        TokenHistory h = new TokenHistory(VOCAB);
        int[] out = new int[n];
        for (int i = 0; i < n; i++) {
            out[i] = s.sample(logits.clone(), h);
        }
        return out;
    }

    @Test
    void greedyPicksTheArgmax() {
        float[] l = randomLogits(1);
        int expected = 0;
        for (int i = 1; i < VOCAB; i++) {
            if (l[i] > l[expected]) {
                expected = i;
            }
        }
        assertEquals(expected, draw(SamplingOptions.greedy(4), 0, 1, l)[0]);
        // top-k 1 at any temperature, and a tiny top-p, reduce to greedy
        assertEquals(expected, draw(options(1.5, 1, 1, 0, 3), 3, 1, l)[0]);
        assertEquals(expected, draw(options(1.0, 0, 1e-6, 0, 3), 3, 1, l)[0]);
    }

    @Test
    void aNonFiniteLogitGivesMinusOneOnEveryPath() {
        SamplingOptions[] paths = {SamplingOptions.greedy(4), options(1.0, 20, 1, 0, 3), options(1.0, 0, 0.9, 0.05, 3)};
        for (float bad : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}) {
            for (int at : new int[] {0, 517, VOCAB - 1}) {
                float[] l = randomLogits(5);
                l[at] = bad;
                for (SamplingOptions o : paths) {
                    assertEquals(-1, draw(o, 3, 1, l)[0], bad + " at " + at + " with " + o);
                }
            }
        }
        // a backend's candidates flag it with a first id of -1
        Sampler s = new Sampler(VOCAB);
        s.reset(options(1.0, 3, 1, 0, 3), 3);
        assertEquals(-1, s.sampleCandidates(new int[] {-1, 4, 9}, new float[] {3, 2, 1}, 3));
        assertEquals(-1, Sampler.argmax(new float[] {1, Float.NaN, 2}));
        assertEquals(2, Sampler.argmax(new float[] {1, -3, 2, 2}));
    }

    @Test
    void sameSeedSameTokensOtherSeedOtherTokens() {
        float[] l = randomLogits(2);
        SamplingOptions o = options(1.0, 0, 1, 0, 0);
        assertArrayEquals(draw(o, 99, 50, l), draw(o, 99, 50, l));
        assertNotEquals(java.util.Arrays.toString(draw(o, 99, 50, l)), java.util.Arrays.toString(draw(o, 100, 50, l)));
    }

    @Test
    void drawsFollowTheSoftmaxAtTemperatureOne() {
        float[] l = new float[VOCAB];
        java.util.Arrays.fill(l, -30f);
        l[10] = 2f;
        l[20] = 1f;
        l[30] = 0f;
        double z = Math.exp(2) + Math.exp(1) + 1;
        int n = 20000;
        int[] counts = new int[VOCAB];
        for (int t : draw(options(1.0, 0, 1, 0, 5), 5, n, l)) {
            counts[t]++;
        }
        assertEquals(Math.exp(2) / z, counts[10] / (double) n, 0.015);
        assertEquals(Math.exp(1) / z, counts[20] / (double) n, 0.015);
        assertEquals(1 / z, counts[30] / (double) n, 0.015);
    }

    @Test
    void topKTopPAndMinPRestrictTheCandidates() {
        float[] l = new float[VOCAB];
        java.util.Arrays.fill(l, -30f);
        l[1] = 3f;   // p ≈ 0.665
        l[2] = 2f;   // p ≈ 0.245
        l[3] = 1f;   // p ≈ 0.090
        for (int t : draw(options(1.0, 2, 1, 0, 1), 1, 2000, l)) {
            assertTrue(t == 1 || t == 2, "top-k 2 drew " + t);
        }
        for (int t : draw(options(1.0, 0, 0.8, 0, 1), 1, 2000, l)) {
            assertTrue(t == 1 || t == 2, "top-p 0.8 drew " + t);
        }
        for (int t : draw(options(1.0, 0, 1, 0.3, 1), 1, 2000, l)) {
            assertTrue(t == 1 || t == 2, "min-p 0.3 drew " + t); // 0.090 < 0.3 × 0.665
        }
        int[] all = draw(options(1.0, 0, 1, 0, 1), 1, 4000, l);
        assertTrue(java.util.Arrays.stream(all).anyMatch(t -> t == 3), "without filters token 3 appears");
    }

    @Test
    void penaltiesLowerTokensAlreadySeen() {
        float[] l = new float[VOCAB];
        l[5] = 2f;
        l[6] = 1.9f;
        TokenHistory h = new TokenHistory(VOCAB);
        h.addPrompt(new int[] {5}, 1);
        Sampler s = new Sampler(VOCAB);
        s.reset(new SamplingOptions(4, 0, 0, 1, 0, 1.1, 0, 0, 0L, List.of()), 0);
        assertEquals(6, s.sample(l.clone(), h), "repetition penalty 1.1 puts 2.0/1.1 below 1.9");

        TokenHistory g = new TokenHistory(VOCAB);
        g.addGenerated(5);
        s.reset(new SamplingOptions(4, 0, 0, 1, 0, 1, 0.05, 0.06, 0L, List.of()), 0);
        assertEquals(6, s.sample(l.clone(), g), "presence + frequency penalty 0.11 puts 1.89 below 1.9");
        s.reset(new SamplingOptions(4, 0, 0, 1, 0, 1, 0.05, 0.0, 0L, List.of()), 0);
        assertEquals(5, s.sample(l.clone(), g), "presence 0.05 alone leaves 1.95 on top");
        g.reset();
        assertEquals(5, s.sample(l.clone(), g), "reset forgets the history");
    }

    @Test
    void invalidOptionsNameTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> options(-1, 0, 1, 0, 0));
        assertTrue(e.getMessage().contains("temperature"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> options(1, 0, 0, 0, 0));
        assertTrue(e.getMessage().contains("topP"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> options(1, -3, 1, 0, 0));
        assertTrue(e.getMessage().contains("topK"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new SamplingOptions(0, 0, 0, 1, 0, 1, 0, 0, null, List.of()));
        assertTrue(e.getMessage().contains("maxTokens"), e.getMessage());
    }
}
