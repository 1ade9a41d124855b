package dev.sptsrag.inference.backend.cpu;

import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.BackendProvider;
import dev.sptsrag.inference.backend.BackendSettings;

/** The CPU backend for {@link dev.sptsrag.inference.backend.BackendChoice}: always usable, so {@code auto}'s last resort. */
public final class CpuBackendProvider implements BackendProvider {
    @Override
    public String name() {
        return "cpu";
    }

    @Override
    public int autoPriority() {
        return 0;
    }

    @Override
    public Backend open(BackendSettings settings) {
        return new CpuBackend(settings.threadsOrAll());
    }
}
