package dev.sptsrag.inference.spts.ltp;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The proxy's arithmetic against a plain float64 evaluation of its definition, and its validation. */
class LowRankProxyTest {
    static final ProxyShape SHAPE = new ProxyShape(2, 24, 40, 12, 5, ProxyVariant.DOWN_PROJECTED);

    @Test
    void normsAreTheDefinitionForEveryRowAndBothVariants() {
        LowRankProxy proxy = randomProxy(SHAPE, 3);
        int count = 19; // not a multiple of the row tile
        float[] rows = randomFloats(count * SHAPE.hidden(), new SplittableRandom(4));
        float[] down = new float[count];
        float[] intermediate = new float[count];
        for (int l = 0; l < SHAPE.layers(); l++) {
            proxy.norms(l, rows, count, down);
            proxy.norms(l, rows, count, intermediate, ProxyVariant.INTERMEDIATE);
            for (int r = 0; r < count; r++) {
                double[] a = activation(proxy.layer(l), rows, r);
                double n = 0;
                for (double v : a) {
                    n += v * v;
                }
                assertEquals(Math.sqrt(n), intermediate[r], 1e-5 * Math.sqrt(n), "layer " + l + " row " + r);
                double y2 = 0;
                for (int i = 0; i < SHAPE.hidden(); i++) {
                    double y = 0;
                    for (int c = 0; c < SHAPE.channels(); c++) {
                        y += proxy.layer(l).down()[i * SHAPE.channels() + c] * a[c];
                    }
                    y2 += y * y;
                }
                assertEquals(Math.sqrt(y2), down[r], 1e-5 * Math.sqrt(y2), "layer " + l + " row " + r);
            }
        }
    }

    @Test
    void theIntermediateVariantDropsTheDownProjectionAndScoresTheSame() {
        LowRankProxy proxy = randomProxy(SHAPE, 5);
        LowRankProxy intermediate = proxy.withVariant(ProxyVariant.INTERMEDIATE);
        assertSame(proxy, proxy.withVariant(ProxyVariant.DOWN_PROJECTED));
        assertEquals(null, intermediate.layer(0).down());
        float[] rows = randomFloats(7 * SHAPE.hidden(), new SplittableRandom(6));
        float[] a = proxy.norms(1, rows, 7, new float[7], ProxyVariant.INTERMEDIATE);
        float[] b = intermediate.norms(1, rows, 7, new float[7]);
        assertEquals(java.util.Arrays.toString(a), java.util.Arrays.toString(b));
        assertThrows(IllegalArgumentException.class, () -> intermediate.withVariant(ProxyVariant.DOWN_PROJECTED));
        assertThrows(IllegalArgumentException.class,
                () -> intermediate.norms(0, rows, 7, new float[7], ProxyVariant.DOWN_PROJECTED));
        assertTrue(SHAPE.multiplyAddsPerRow(ProxyVariant.DOWN_PROJECTED)
                > SHAPE.multiplyAddsPerRow(ProxyVariant.INTERMEDIATE));
    }

    @Test
    void badArraysAndArgumentsAreRefused() {
        LowRankProxy ok = randomProxy(SHAPE, 7);
        LowRankProxy.Layer l = ok.layer(0);
        byte[] id = new byte[ModelIdentity.BYTES];
        int[] unordered = l.channels().clone();
        unordered[3] = unordered[2];
        int[] outside = l.channels().clone();
        outside[outside.length - 1] = SHAPE.intermediate();
        float[] nan = l.gateExpansion().clone();
        nan[1] = Float.NaN;
        for (LowRankProxy.Layer bad : List.of(
                new LowRankProxy.Layer(unordered, l.gateProjection(), l.gateExpansion(), l.upProjection(), l.upExpansion(), l.down()),
                new LowRankProxy.Layer(outside, l.gateProjection(), l.gateExpansion(), l.upProjection(), l.upExpansion(), l.down()),
                new LowRankProxy.Layer(l.channels(), l.gateProjection(), nan, l.upProjection(), l.upExpansion(), l.down()),
                new LowRankProxy.Layer(l.channels(), l.upExpansion(), l.gateExpansion(), l.upProjection(), l.upExpansion(), l.down()),
                new LowRankProxy.Layer(l.channels(), l.gateProjection(), l.gateExpansion(), l.upProjection(), l.upExpansion(), null))) {
            assertThrows(IllegalArgumentException.class, () -> new LowRankProxy(SHAPE, id, 0.2f, 10, List.of(bad, bad)));
        }
        assertThrows(IllegalArgumentException.class, () -> new LowRankProxy(SHAPE, id, 0.2f, 10, List.of(l)));
        assertThrows(IllegalArgumentException.class, () -> new LowRankProxy(SHAPE, new byte[3], 0.2f, 10, List.of(l, l)));
        assertThrows(IllegalArgumentException.class, () -> new LowRankProxy(SHAPE, id, 0f, 10, List.of(l, l)));
        assertThrows(IllegalArgumentException.class, () -> ok.norms(0, new float[10], 1, new float[1]));
        assertThrows(IllegalArgumentException.class, () -> ok.norms(0, new float[48], 2, new float[1]));
        assertThrows(IndexOutOfBoundsException.class, () -> ok.norms(2, new float[24], 1, new float[1]));

        assertThrows(IllegalArgumentException.class, () -> new ProxyShape(2, 24, 40, 41, 5, ProxyVariant.INTERMEDIATE));
        assertThrows(IllegalArgumentException.class, () -> new ProxyShape(2, 24, 40, 12, 13, ProxyVariant.INTERMEDIATE));
        assertThrows(IllegalArgumentException.class, () -> new ProxyShape(2, 4, 40, 12, 5, ProxyVariant.INTERMEDIATE));
        assertThrows(IllegalArgumentException.class, () -> new ProxyShape(2, 65536, 262144, 262144, 65536, ProxyVariant.INTERMEDIATE));
    }

    /** SiLU(G·(P_g·x)) ⊙ (U·(P_u·x)) in float64. */
    private static double[] activation(LowRankProxy.Layer w, float[] rows, int row) {
        int h = SHAPE.hidden(), r = SHAPE.rank(), d = SHAPE.channels();
        double[] g = new double[r], u = new double[r];
        for (int j = 0; j < r; j++) {
            for (int i = 0; i < h; i++) {
                g[j] += (double) w.gateProjection()[j * h + i] * rows[row * h + i];
                u[j] += (double) w.upProjection()[j * h + i] * rows[row * h + i];
            }
        }
        double[] a = new double[d];
        for (int c = 0; c < d; c++) {
            double gc = 0, uc = 0;
            for (int j = 0; j < r; j++) {
                gc += w.gateExpansion()[c * r + j] * g[j];
                uc += w.upExpansion()[c * r + j] * u[j];
            }
            a[c] = gc / (1 + Math.exp(-gc)) * uc;
        }
        return a;
    }

    /** A proxy of {@code shape} with random factors and evenly spread channels. */
    static LowRankProxy randomProxy(ProxyShape shape, long seed) {
        byte[] id = new byte[ModelIdentity.BYTES];
        new SplittableRandom(seed).nextBytes(id);
        return randomProxy(shape, seed, id);
    }

    /** As {@link #randomProxy(ProxyShape, long)}, for the model of {@code identity}. */
    static LowRankProxy randomProxy(ProxyShape shape, long seed, byte[] id) {
        SplittableRandom random = new SplittableRandom(seed + 1);
        List<LowRankProxy.Layer> layers = new java.util.ArrayList<>();
        for (int l = 0; l < shape.layers(); l++) {
            int[] channels = new int[shape.channels()];
            for (int c = 0; c < channels.length; c++) {
                channels[c] = (int) ((long) c * shape.intermediate() / shape.channels());
            }
            layers.add(new LowRankProxy.Layer(channels,
                    randomFloats(shape.rank() * shape.hidden(), random), randomFloats(shape.channels() * shape.rank(), random),
                    randomFloats(shape.rank() * shape.hidden(), random), randomFloats(shape.channels() * shape.rank(), random),
                    shape.variant() == ProxyVariant.DOWN_PROJECTED
                            ? randomFloats(shape.hidden() * shape.channels(), random) : null));
        }
        return new LowRankProxy(shape, id, 0.2f, 1234, layers);
    }

    static float[] randomFloats(int n, SplittableRandom random) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) random.nextDouble(-1, 1);
        }
        return f;
    }
}
