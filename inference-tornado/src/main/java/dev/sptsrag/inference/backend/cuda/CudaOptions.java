package dev.sptsrag.inference.backend.cuda;

import java.nio.file.Path;

/**
 * How the CUDA backend starts: where its libraries are, which device, where compiled kernels are
 * cached. Travels with the caller; nothing here is process-global.
 *
 * @param libraries        where to look for libcuda, NVRTC and cuBLASLt
 * @param device           device ordinal
 * @param kernelCache      directory for PTX compiled by NVRTC (null: compile every time)
 * @param prefillBatch     tokens per prefill forward call the backend asks for
 */
public record CudaOptions(CudaLibraryPaths libraries, int device, Path kernelCache, int prefillBatch) {
    public CudaOptions {
        if (device < 0) {
            throw new IllegalArgumentException("device ordinal must be >= 0: " + device);
        }
        if (prefillBatch < 1) {
            throw new IllegalArgumentException("prefill batch must be >= 1: " + prefillBatch);
        }
    }

    /** Default library search, device 0, the per-user PTX cache, prefill in batches of 8192 tokens. */
    public static CudaOptions defaults() {
        return new CudaOptions(CudaLibraryPaths.defaults(), 0, PtxCache.defaultDirectory(), 8192);
    }
}
