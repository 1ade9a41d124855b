package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.BackendUnavailableException;
import org.junit.jupiter.api.Assumptions;

/**
 * Opens the CUDA backend for a test, or skips the test where there is no GPU (CI). On the GPU machine
 * tools/gpu/run-on-h200.sh sets SPTS_REQUIRE_CUDA=1, and then a missing GPU is a failure, not a skip.
 */
final class CudaTesting {
    private CudaTesting() {
    }

    static CudaBackend open() {
        try {
            return CudaBackend.open(CudaOptions.defaults());
        } catch (BackendUnavailableException e) {
            if ("1".equals(System.getenv("SPTS_REQUIRE_CUDA"))) {
                throw e;
            }
            Assumptions.abort("no CUDA here: " + e.getMessage());
            throw e; // not reached
        }
    }
}
