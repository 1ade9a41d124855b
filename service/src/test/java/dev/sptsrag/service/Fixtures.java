package dev.sptsrag.service;

import dev.sptsrag.inference.convert.GgufConverter;
import dev.sptsrag.inference.tensor.GgmlType;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.FileSystem;
import java.nio.file.FileSystems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The engine's fixture models (tiny random-weight models with real tokenizers and chat templates),
 * from inference-tornado's test-jar: used in place in a reactor build, copied out of the jar otherwise.
 */
public final class Fixtures {
    /** Llama-3 shapes (3 layers, GQA, llama3 RoPE), 512-token context. */
    public static final String LLAMA = "llama-gqa-rope3";

    private Fixtures() {
    }

    /**
     * The fixture as one GGUF file at {@code target} (F32, tokenizer and chat template inside), converted by
     * the engine's own converter: a stand-in for a real .gguf model such as the demo model.
     */
    public static Path gguf(String name, Path target) {
        try {
            Files.createDirectories(target.toAbsolutePath().getParent());
            GgufConverter.convert(model(name), target, GgmlType.F32, line -> { });
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /**
     * The test class loader without the demo model the build bundles: once models/demo-*.gguf exists the
     * build copies it into target/classes, and tests about the default model must not see it.
     */
    public static ClassLoader withoutBundledDemoModel() {
        String folder = dev.sptsrag.service.ai.DemoModel.RESOURCE_FOLDER;
        return new ClassLoader(Fixtures.class.getClassLoader()) {
            @Override
            public java.util.Enumeration<URL> getResources(String name) throws IOException {
                return name.startsWith(folder) ? java.util.Collections.emptyEnumeration() : super.getResources(name);
            }

            @Override
            public URL getResource(String name) {
                return name.startsWith(folder) ? null : super.getResource(name);
            }
        };
    }

    public static synchronized Path model(String name) {
        String resource = "parity/" + name + "/config.json";
        URL url = Fixtures.class.getClassLoader().getResource(resource);
        if (url == null) {
            throw new IllegalStateException(resource + " is not on the test class path (inference-tornado's test-jar)");
        }
        try {
            if (url.getProtocol().equals("file")) {
                return Path.of(url.toURI()).getParent();
            }
            Path target = Path.of(System.getProperty("java.io.tmpdir"), "spts-fixtures", name);
            try (FileSystem jar = FileSystems.newFileSystem(url.toURI(), Map.of());
                 Stream<Path> files = Files.list(jar.getPath("parity", name))) {
                Files.createDirectories(target);
                for (Path f : files.toList()) {
                    try (InputStream in = Files.newInputStream(f)) {
                        Files.copy(in, target.resolve(f.getFileName().toString()),
                                java.nio.file.StandardCopyOption.REPLACE_EXISTING);
                    }
                }
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }
}
