package dev.sptsrag.retrieval.testing;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;

/** The hand-made documents under src/test/resources/ingest. */
public final class TestFiles {
    private TestFiles() {}

    public static Path resource(String name) {
        try {
            var url = TestFiles.class.getResource("/ingest/" + name);
            if (url == null) {
                throw new IllegalStateException("test resource ingest/" + name + " is missing");
            }
            return Path.of(url.toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    public static byte[] bytes(String name) {
        try {
            return Files.readAllBytes(resource(name));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
