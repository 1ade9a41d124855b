package dev.sptsrag.service.ai;

import dev.sptsrag.service.ops.NoModelException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.core.io.Resource;
import org.springframework.core.io.support.PathMatchingResourcePatternResolver;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.function.Supplier;

/**
 * The model served when {@code spring.ai.spts.chat.model-path} is not set: the project's demo model
 * ({@code demo-*.gguf}), found in this order:
 * <ol>
 * <li>bundled in the application jar under {@value #RESOURCE_FOLDER} (the build copies it there from the
 * checkout's {@code models/} when the file exists) and extracted into {@code extractTo} (default
 * {@code data/models}): the engine memory-maps model files, which needs a real file, and extraction
 * happens once — a copy whose size and time match the jar's entry is reused;</li>
 * <li>{@code models/demo-*.gguf} under the working directory: a checkout where the model arrived after
 * the jar was built.</li>
 * </ol>
 * The jar comes first because it goes wherever the jar goes (a container image, another folder) and
 * is the file that build was tested with. Several candidates in one place: the last by name (so
 * {@code demo-2} wins over {@code demo-1}). None: a {@link NoModelException} naming every place looked at.
 */
public final class DemoModel implements Supplier<Path> {
    /** Where the build puts the demo model in the jar (service/pom.xml, copy-demo-model). */
    public static final String RESOURCE_FOLDER = "spts/demo-model/";
    static final String PATTERN = "demo-*.gguf";

    private static final Logger log = LoggerFactory.getLogger(DemoModel.class);

    private final ClassLoader classLoader;
    private final Path extractTo;
    private final Path localFolder;

    /**
     * @param classLoader where to look for the bundled model
     * @param extractTo   the folder the bundled model is extracted into
     * @param localFolder the folder of a model that is not bundled ({@code models} in the working directory)
     */
    public DemoModel(ClassLoader classLoader, Path extractTo, Path localFolder) {
        this.classLoader = classLoader;
        this.extractTo = extractTo;
        this.localFolder = localFolder;
    }

    /** The demo model's file, extracted first if it comes from the jar. */
    @Override
    public Path get() {
        Resource bundled = bundled();
        if (bundled != null) {
            Path file = extract(bundled);
            log.info("no model-path configured: serving the demo model {} bundled in the application (extracted to {})",
                    bundled.getFilename(), file.toAbsolutePath());
            return file;
        }
        Path found = local();
        if (found != null) {
            log.info("no model-path configured: serving the demo model {}", found.toAbsolutePath());
            return found;
        }
        Path local = localFolder.toAbsolutePath().resolve(PATTERN);
        throw new NoModelException("no model configured and no demo model found. Set spring.ai.spts.chat.model-path "
                + "(or SPRING_AI_SPTS_CHAT_MODEL_PATH) to a .gguf file or a Hugging Face folder; or build the jar with "
                + "the demo model in the checkout's models/ folder (the jar then carries it); or put it at " + local
                + ". Looked in the class path (classpath:" + RESOURCE_FOLDER + PATTERN + ") and at " + local + ".");
    }

    private Resource bundled() {
        Resource[] found;
        try {
            found = new PathMatchingResourcePatternResolver(classLoader).getResources("classpath*:" + RESOURCE_FOLDER + PATTERN);
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + RESOURCE_FOLDER + " on the class path", e);
        }
        List<Resource> models = new ArrayList<>(Arrays.stream(found).filter(Resource::exists).toList());
        models.sort(Comparator.comparing(Resource::getFilename));
        return last(models, "bundled");
    }

    private Path local() {
        if (!Files.isDirectory(localFolder)) {
            return null;
        }
        List<Path> models = new ArrayList<>();
        try (DirectoryStream<Path> files = Files.newDirectoryStream(localFolder, PATTERN)) {
            files.forEach(f -> {
                if (Files.isRegularFile(f)) {
                    models.add(f);
                }
            });
        } catch (IOException e) {
            throw new UncheckedIOException("listing " + localFolder, e);
        }
        models.sort(Comparator.comparing(p -> p.getFileName().toString()));
        return last(models, localFolder.toString());
    }

    private static <T> T last(List<T> candidates, String where) {
        if (candidates.isEmpty()) {
            return null;
        }
        if (candidates.size() > 1) {
            log.warn("{} demo models ({}): taking the last by name", candidates.size(), where);
        }
        return candidates.getLast();
    }

    /**
     * Copies the bundled model into {@code extractTo} unless a copy of the same size and time is there. The
     * copy goes to a temporary file first and is then renamed, so a start that is interrupted (or a second
     * instance extracting at the same time) never leaves a half-written model under the final name.
     */
    private Path extract(Resource model) {
        String name = model.getFilename();
        Path target = extractTo.resolve(name);
        try {
            long size = model.contentLength();
            long time = model.lastModified();
            // Without a time (some class loaders give none) the copy cannot be told from a stale one: extract again.
            if (time > 0 && Files.isRegularFile(target) && Files.size(target) == size
                    && Files.getLastModifiedTime(target).toMillis() == time) {
                return target;
            }
            Files.createDirectories(extractTo);
            log.info("extracting the demo model {} ({} MiB) to {}", name, size >> 20, target.toAbsolutePath());
            Path part = Files.createTempFile(extractTo, name, ".part");
            try {
                try (InputStream in = model.getInputStream()) {
                    Files.copy(in, part, StandardCopyOption.REPLACE_EXISTING);
                }
                // The entry's time marks the copy: a rebuilt jar with another model of the same size is extracted again.
                if (time > 0) {
                    Files.setLastModifiedTime(part, FileTime.fromMillis(time));
                }
                Files.move(part, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
            } finally {
                Files.deleteIfExists(part);
            }
            return target;
        } catch (IOException e) {
            throw new UncheckedIOException("extracting the demo model to " + target.toAbsolutePath() + ": " + e.getMessage(), e);
        }
    }
}
