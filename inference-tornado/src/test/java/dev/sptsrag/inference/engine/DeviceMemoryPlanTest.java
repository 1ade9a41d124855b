package dev.sptsrag.inference.engine;

import dev.sptsrag.inference.DeviceOutOfMemoryException;
import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.model.LoadedModel;
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
            KvCache cache = new KvCache(m.config(), backend, 64);
            assertEquals(plan.kvCacheBytes() - 64L * 4 * m.config().layerCount(), cache.bytes(),
                    "KV bytes (plus the slot positions)");
        }
    }

    @Test
    void aPlanThatDoesNotFitIsRefusedWithThePlan() {
        DeviceMemoryPlan plan = new DeviceMemoryPlan(16L << 30, 4L << 30, 1L << 30, 1L << 28, 7L << 30, 20L << 30);
        assertTrue(!plan.fits());
        var e = assertThrows(DeviceOutOfMemoryException.class, plan::requireFits);
        assertTrue(e.getMessage().contains("weights 16.00 GiB"), e.getMessage());
        assertTrue(e.getMessage().contains("20.00 GiB are free"), e.getMessage());
        assertEquals(plan.totalBytes(), e.requiredBytes());
    }
}
