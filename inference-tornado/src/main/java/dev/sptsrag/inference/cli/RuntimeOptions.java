package dev.sptsrag.inference.cli;

import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.BackendChoice;
import picocli.CommandLine.Option;

/** Where and how the engine runs. */
final class RuntimeOptions {
    @Option(names = "--backend", defaultValue = "auto", description = "auto | cpu (default ${DEFAULT-VALUE}).")
    String backend;

    @Option(names = "--threads", defaultValue = "0", description = "CPU threads (0: all processors).")
    int threads;

    @Option(names = "--context", defaultValue = "0",
            description = "Context window to allocate, in tokens (0: the model's, capped at 8192).")
    int context;

    @Option(names = "--batch", defaultValue = "256", description = "Prefill batch size (default ${DEFAULT-VALUE}).")
    int batch;

    Backend createBackend() {
        return BackendChoice.parse(backend).create(threads);
    }

    int contextFor(int modelContext) {
        return context > 0 ? context : Math.min(modelContext, 8192);
    }
}
