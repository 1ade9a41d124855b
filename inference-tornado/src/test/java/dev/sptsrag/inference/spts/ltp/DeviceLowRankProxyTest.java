package dev.sptsrag.inference.spts.ltp;

import dev.sptsrag.inference.backend.Activations;
import dev.sptsrag.inference.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The proxy on the CPU backend scores like the host proxy, in chunks and in both variants. */
class DeviceLowRankProxyTest {

    @Test
    void deviceScoresAreTheHostScores() {
        ProxyShape shape = LowRankProxyTest.SHAPE;
        LowRankProxy proxy = LowRankProxyTest.randomProxy(shape, 11);
        int count = 45;
        float[] rows = LowRankProxyTest.randomFloats(count * shape.hidden(), new SplittableRandom(12));
        try (CpuBackend backend = new CpuBackend(2)) {
            Activations x = backend.allocateActivations("x", 64, shape.hidden());
            backend.writeRows(rows, count, x, 0);
            for (LowRankProxy p : new LowRankProxy[] {proxy, proxy.withVariant(ProxyVariant.INTERMEDIATE)}) {
                DeviceLowRankProxy device = new DeviceLowRankProxy(p, backend, 64); // 45 of 64 rows: all at once
                for (int l = 0; l < shape.layers(); l++) {
                    float[] expected = p.norms(l, rows, count, new float[count]);
                    float[] got = new float[count];
                    device.norms(l, x, count, got);
                    for (int i = 0; i < count; i++) {
                        assertEquals(expected[i], got[i], 1e-5 * expected[i], p.shape().variant() + " layer " + l + " row " + i);
                    }
                }
                assertThrows(IllegalArgumentException.class, () -> device.norms(0, x, 65, new float[65]));
                assertThrows(IllegalArgumentException.class, () -> device.norms(2, x, 1, new float[1]));
            }
        }
    }
}
