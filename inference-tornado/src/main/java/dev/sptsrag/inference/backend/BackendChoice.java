package dev.sptsrag.inference.backend;

import dev.sptsrag.inference.BackendUnavailableException;
import dev.sptsrag.inference.backend.cpu.CpuBackend;

import java.util.Locale;

/** Which backend to run on: a specific one, or {@code AUTO} (the fastest usable one). */
public enum BackendChoice {
    AUTO, CPU;

    public static BackendChoice parse(String s) {
        try {
            return valueOf(s.trim().toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown backend '" + s + "'; choose one of auto, cpu");
        }
    }

    /**
     * Creates the backend. {@code threads} applies to the CPU backend (≤ 0: all processors).
     *
     * @throws BackendUnavailableException when the chosen backend cannot run here
     */
    public Backend create(int threads) {
        int n = threads > 0 ? threads : Runtime.getRuntime().availableProcessors();
        return switch (this) {
            // GPU backends join AUTO as they arrive; until then AUTO is the CPU.
            case AUTO, CPU -> new CpuBackend(n);
        };
    }
}
