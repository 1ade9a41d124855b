package dev.sptsrag.deploy;

import java.nio.file.Files;
import java.nio.file.Path;

/** The repository root: the chart, the Dockerfile and the service jar are read from the working tree. */
final class Repository {
    private Repository() {
    }

    static Path root() {
        String configured = System.getProperty("spts.repository");
        Path root = (configured != null ? Path.of(configured) : Path.of("..")).toAbsolutePath().normalize();
        if (!Files.isDirectory(root.resolve("helm/spts-rag"))) {
            throw new IllegalStateException(root + " is not the spts-rag repository (no helm/spts-rag); set -Dspts.repository");
        }
        return root;
    }
}
