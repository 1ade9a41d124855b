package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.BackendProvider;
import dev.sptsrag.inference.backend.BackendSettings;

/** The CUDA backend for {@link dev.sptsrag.inference.backend.BackendChoice}, with its default options. */
public final class CudaBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "cuda";
    }

    @Override
    public int autoPriority() {
        return 100;
    }

    @Override
    public Backend open(BackendSettings settings) {
        return CudaBackend.open(CudaOptions.defaults());
    }
}
