package dev.sptsrag.inference.backend.cpu;

import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.BackendContractTest;

/** The CPU reference backend against float64, with two threads so the parallel split is exercised. */
class CpuBackendContractTest extends BackendContractTest {
    @Override
    protected Backend createBackend() {
        return new CpuBackend(2);
    }
}
