package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.backend.Activations;
import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.spts.ltp.DeviceLowRankProxy;
import dev.sptsrag.inference.spts.ltp.LowRankProxy;
import dev.sptsrag.inference.spts.ltp.ProxyShape;
import dev.sptsrag.inference.spts.ltp.ProxyVariant;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The LTP proxy on the GPU (BF16 factors, BF16 GEMM inputs) against the float32 host proxy, at the
 * paper's Llama-3.1-8B proxy size, and how long scoring 32K candidate rows takes.
 */
class CudaLowRankProxyTest {

    @Test
    void gpuScoresRankLikeHostScoresAndTheirCostAt32kRows() {
        try (Backend gpu = CudaTesting.open()) {
            ProxyShape shape = new ProxyShape(1, 4096, 14336, 512, 192, ProxyVariant.DOWN_PROJECTED);
            LowRankProxy proxy = randomProxy(shape, 1);
            int check = 1024, rows = 32768;
            float[] x = new float[rows * shape.hidden()];
            SplittableRandom random = new SplittableRandom(2);
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian();
            }
            Activations input = gpu.allocateActivations("x", rows, shape.hidden());
            gpu.writeRows(x, rows, input, 0);
            for (ProxyVariant variant : ProxyVariant.values()) {
                LowRankProxy p = proxy.withVariant(variant);
                float[] host = p.norms(0, x, check, new float[check]);
                long before = gpu.allocatedBytes();
                DeviceLowRankProxy device = new DeviceLowRankProxy(p, gpu, rows);
                assertEquals(DeviceLowRankProxy.bytes(p.shape(), gpu, rows), gpu.allocatedBytes() - before,
                        "device bytes of the proxy, as planned");
                float[] got = new float[rows];
                device.norms(0, input, check, got);
                double worst = 0;
                for (int i = 0; i < check; i++) {
                    worst = Math.max(worst, Math.abs(got[i] - host[i]) / host[i]);
                }
                double rho = spearman(Arrays.copyOf(got, check), host);
                for (int warm = 0; warm < 2; warm++) {
                    device.norms(0, input, rows, got);
                }
                int reps = 5;
                long t0 = System.nanoTime();
                for (int rep = 0; rep < reps; rep++) {
                    device.norms(0, input, rows, got);
                }
                double ms = (System.nanoTime() - t0) / 1e6 / reps;
                System.out.printf("LTP proxy on the GPU, %s, %s: worst relative error %.2e, Spearman vs host %.5f; "
                        + "%d rows in %.2f ms%n", variant.label(), shape, worst, rho, rows, ms);
                assertTrue(worst < 3e-2, "relative error " + worst);
                assertTrue(rho > 0.995, "Spearman " + rho);
            }
        }
    }

    private static LowRankProxy randomProxy(ProxyShape s, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        List<LowRankProxy.Layer> layers = new ArrayList<>();
        int[] channels = new int[s.channels()];
        for (int c = 0; c < channels.length; c++) {
            channels[c] = (int) ((long) c * s.intermediate() / s.channels());
        }
        layers.add(new LowRankProxy.Layer(channels, floats(s.rank() * s.hidden(), 1 / Math.sqrt(s.hidden()), random),
                floats(s.channels() * s.rank(), 1 / Math.sqrt(s.rank()), random),
                floats(s.rank() * s.hidden(), 1 / Math.sqrt(s.hidden()), random),
                floats(s.channels() * s.rank(), 1 / Math.sqrt(s.rank()), random),
                floats(s.hidden() * s.channels(), 1 / Math.sqrt(s.channels()), random)));
        return new LowRankProxy(s, new byte[32], 0.2f, 1, layers);
    }

    private static float[] floats(int n, double scale, SplittableRandom random) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = (float) (random.nextGaussian() * scale);
        }
        return f;
    }

    private static double spearman(float[] a, float[] b) {
        double[] ra = ranks(a), rb = ranks(b);
        double n = a.length, d2 = 0;
        for (int i = 0; i < a.length; i++) {
            d2 += (ra[i] - rb[i]) * (ra[i] - rb[i]);
        }
        return 1 - 6 * d2 / (n * (n * n - 1));
    }

    private static double[] ranks(float[] v) {
        Integer[] order = new Integer[v.length];
        for (int i = 0; i < v.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (x, y) -> Float.compare(v[x], v[y]));
        double[] r = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            r[order[i]] = i;
        }
        return r;
    }
}
