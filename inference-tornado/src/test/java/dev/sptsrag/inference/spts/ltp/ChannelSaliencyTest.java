package dev.sptsrag.inference.spts.ltp;

import org.junit.jupiter.api.Test;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The top-ρ mean against sorting every channel's values. */
class ChannelSaliencyTest {

    @Test
    void importanceIsTheMeanOfEachChannelsLargestMagnitudes() {
        SplittableRandom random = new SplittableRandom(8);
        int channels = 13;
        for (double rho : new double[] {0.2, 0.05, 0.5, 1.0, 1e-6}) {
            for (int tokens : new int[] {1, 7, 100, 333}) {
                float[] all = new float[tokens * channels];
                for (int i = 0; i < all.length; i++) {
                    // Few distinct values: ties inside and at the edge of the top fraction.
                    all[i] = (float) (random.nextInt(-20, 21) * 0.5);
                }
                ChannelSaliency s = new ChannelSaliency(channels, tokens, rho);
                for (int at = 0; at < tokens; ) { // uneven batches
                    int rows = Math.min(tokens - at, 1 + random.nextInt(9));
                    s.add(Arrays.copyOfRange(all, at * channels, (at + rows) * channels), rows);
                    at += rows;
                }
                double[] got = s.importance();
                int k = (int) Math.max(1, Math.ceil(rho * tokens - 1e-9));
                for (int c = 0; c < channels; c++) {
                    double[] v = new double[tokens];
                    for (int t = 0; t < tokens; t++) {
                        v[t] = Math.abs(all[t * channels + c]);
                    }
                    Arrays.sort(v);
                    double mean = 0;
                    for (int i = tokens - k; i < tokens; i++) {
                        mean += v[i];
                    }
                    assertEquals(mean / k, got[c], 1e-12, "rho " + rho + ", " + tokens + " tokens, channel " + c);
                }
            }
        }
    }

    @Test
    void keepsTheCeilingOfRhoTimesTokensAndChecksItsInput() {
        assertEquals(3, ChannelSaliency.keep(15, 0.2));
        assertEquals(4, ChannelSaliency.keep(16, 0.2));
        assertEquals(1, ChannelSaliency.keep(2, 0.2));
        ChannelSaliency s = new ChannelSaliency(2, 3, 0.5);
        s.add(new float[] {1, 2}, 1);
        assertThrows(IllegalStateException.class, s::importance, "before all tokens");
        assertThrows(IllegalArgumentException.class, () -> s.add(new float[] {1, Float.NaN}, 1));
        assertThrows(IllegalArgumentException.class, () -> s.add(new float[6], 3), "more tokens than announced");
        assertThrows(IllegalArgumentException.class, () -> new ChannelSaliency(2, 3, 0));
        assertThrows(IllegalArgumentException.class, () -> new ChannelSaliency(1 << 18, 1L << 40, 0.2), "too large");
    }
}
