package dev.sptsrag.inference.cli;

import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.BackendChoice;
import picocli.CommandLine.Option;

/** Where and how the engine runs. */
final class RuntimeOptions {
    @Option(names = "--backend", defaultValue = "auto", description = "auto | cpu | cuda (default ${DEFAULT-VALUE}; auto picks CUDA when a usable GPU exists).")
    String backend;

    @Option(names = "--threads", defaultValue = "0", description = "CPU threads (0: all processors).")
    int threads;

    @Option(names = "--context", defaultValue = "0",
            description = "Context window to allocate, in tokens (0: the model's, capped at 8192).")
    int context;

    @Option(names = "--batch", defaultValue = "0",
            description = "Prefill batch size, tokens per forward call (0: the backend's choice: CPU 256, CUDA 8192).")
    int batch;

    /** Creates the chosen backend; what AUTO chose, and why, goes to {@code log}. */
    Backend createBackend(java.io.PrintWriter log) {
        return BackendChoice.parse(backend).create(threads, log::println);
    }

    int contextFor(int modelContext) {
        return context > 0 ? context : Math.min(modelContext, 8192);
    }
}
