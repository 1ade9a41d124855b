package dev.sptsrag.inference.backend;

import dev.sptsrag.inference.BackendUnavailableException;
import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.backend.cuda.CudaBackend;
import dev.sptsrag.inference.backend.cuda.CudaOptions;

import java.util.Locale;
import java.util.function.Consumer;

/** Which backend to run on: a specific one, or {@code AUTO} (the fastest usable one). */
public enum BackendChoice {
    AUTO, CPU, CUDA;

    public static BackendChoice parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown backend '" + s + "'; choose one of auto, cpu, cuda");
        }
    }

    /**
     * Creates the backend with default options. {@code threads} applies to the CPU backend (≤ 0: all
     * processors). With {@code AUTO}, {@code log} is told which backend was chosen and why.
     *
     * @throws BackendUnavailableException when the chosen backend cannot run here
     */
    public Backend create(int threads, Consumer<String> log) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return switch (this) {
            case CPU -> new CpuBackend(n);
            case CUDA -> CudaBackend.open(CudaOptions.defaults());
            case AUTO -> {
                try {
                    Backend cuda = CudaBackend.open(CudaOptions.defaults());
                    log.accept("backend auto: chose CUDA (" + cuda.description() + ")");
                    yield cuda;
                } catch (BackendUnavailableException e) {
                    log.accept("backend auto: chose CPU; CUDA is unavailable: " + e.getMessage());
                    yield new CpuBackend(n);
                }
            }
        };
    }
}
