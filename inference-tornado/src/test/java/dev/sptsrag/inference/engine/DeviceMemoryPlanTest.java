package dev.sptsrag.inference.engine;

import dev.sptsrag.inference.DeviceOutOfMemoryException;
import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.decoder.DeviceModel;
import dev.sptsrag.inference.decoder.KvCache;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.spts.ltp.DeviceLowRankProxy;
import dev.sptsrag.inference.spts.ltp.ProxyShape;
import dev.sptsrag.inference.spts.ltp.ProxyVariant;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class DeviceMemoryPlanTest {

    @Test
    void weightAndCacheBytesMatchWhatTheBackendHolds() {
        try (LoadedModel m = LoadedModel.synthetic("tiny-qwen2", 1); CpuBackend backend = new CpuBackend(1)) {
            DeviceMemoryPlan plan = DeviceMemoryPlan.of(m.config(), backend, 64, 16);
            DeviceModel model = DeviceModel.upload(m.config(), m.weights(), backend, null);
            long vectors = plan.weightBytes() - model.matrixBytes();
            assertTrue(vectors > 0 && vectors < model.matrixBytes() / 10, "norms and biases: " + vectors);
            long before = backend.allocatedBytes();
            KvCache.forOneSequence(m.config(), backend, 64);
            assertEquals(plan.kvCacheBytes(), backend.allocatedBytes() - before,
                    "KV blocks with their positions, block tables and fill counts");
        }
    }

    /**
     * The LTP proxy is planned with its factors (the fused [2r × hidden] projections, the block-diagonal
     * [2·D_low × 2r] expansions, the down columns) and its buffers for a whole context of candidates;
     * CudaLowRankProxyTest checks the same figure against what the GPU backend allocates.
     */
    @Test
    void theLtpProxyIsPlannedWithItsFactorsAndBuffersForTheWholeContext() {
        try (CpuBackend backend = new CpuBackend(1)) {
            int layers = 3, h = 96, d = 64, r = 32, rows = 512;
            ProxyShape down = new ProxyShape(layers, h, 224, d, r, ProxyVariant.DOWN_PROJECTED);
            ProxyShape intermediate = new ProxyShape(layers, h, 224, d, r, ProxyVariant.INTERMEDIATE);
            long factors = 4L * (2 * r * h + 2 * d * 2 * r);
            long buffers = 4L * rows * (2 * r + 2 * d + d + 1);
            assertEquals(layers * (factors + 4L * h * d) + buffers + 4L * rows * h,
                    DeviceLowRankProxy.bytes(down, backend, rows));
            assertEquals(layers * factors + buffers, DeviceLowRankProxy.bytes(intermediate, backend, rows));

            DeviceMemoryPlan plan = new DeviceMemoryPlan(16L << 30, 4L << 30, 1L << 30, 1L << 28, 1L << 30, 0, 24L << 30, 1);
            DeviceMemoryPlan withProxy = plan.withProxy(3L << 30);
            assertEquals(plan.totalBytes() + (3L << 30), withProxy.totalBytes());
            assertTrue(plan.fits() && !withProxy.fits(), withProxy.toString());
            assertTrue(withProxy.toString().contains("LTP proxy 3.00 GiB"), withProxy.toString());
            assertEquals(withProxy.totalBytes(), withProxy.withProxy(3L << 30).totalBytes(), "replaces, not adds");
        }
    }

    @Test
    void aPlanThatDoesNotFitIsRefusedWithThePlan() {
        DeviceMemoryPlan plan = new DeviceMemoryPlan(16L << 30, 4L << 30, 1L << 30, 1L << 28, 7L << 30, 0, 20L << 30, 1);
        assertTrue(!plan.fits());
        var e = assertThrows(DeviceOutOfMemoryException.class, plan::requireFits);
        assertTrue(e.getMessage().contains("weights 16.00 GiB"), e.getMessage());
        assertTrue(e.getMessage().contains("20.00 GiB are free"), e.getMessage());
        assertEquals(plan.totalBytes(), e.requiredBytes());
    }
}
