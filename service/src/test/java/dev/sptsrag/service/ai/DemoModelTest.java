package dev.sptsrag.service.ai;

import dev.sptsrag.service.Fixtures;
import dev.sptsrag.service.ops.EngineScheduler;
import dev.sptsrag.service.ops.NoModelException;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.prompt.Prompt;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;

import java.io.IOException;
import java.net.URL;
import java.net.URLClassLoader;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * The demo model as the default when no model-path is set. The real demo model is not in the repository
 * yet, so a fixture converted to GGUF stands in for it: in a class-path folder laid out as the build lays
 * out the jar ({@value DemoModel#RESOURCE_FOLDER}), or in a local models folder.
 */
class DemoModelTest {
    @TempDir
    static Path shared;
    static Path gguf;

    @TempDir
    Path dir;

    @BeforeAll
    static void convertTheFixture() {
        gguf = Fixtures.gguf(Fixtures.LLAMA, shared.resolve("fixture.gguf"));
    }

    /** A class loader that sees {@code demo} as the jar's bundled demo model, as the build puts it there. */
    private static URLClassLoader bundling(Path root, String fileName, Path model) throws IOException {
        Path folder = root.resolve(DemoModel.RESOURCE_FOLDER);
        Files.createDirectories(folder);
        Files.copy(model, folder.resolve(fileName));
        // The parent hides a real demo model the build may have bundled into target/classes.
        return new URLClassLoader(new URL[] {root.toUri().toURL()}, Fixtures.withoutBundledDemoModel());
    }

    private static Object fileKey(Path p) throws IOException {
        return Files.readAttributes(p, BasicFileAttributes.class).fileKey();
    }

    @Test
    void theBundledModelIsExtractedOnceAndAgainWhenTheJarCarriesAnotherOne() throws IOException {
        Path extractTo = dir.resolve("data/models");
        try (URLClassLoader loader = bundling(dir.resolve("classes"), "demo-test.gguf", gguf)) {
            DemoModel demo = new DemoModel(loader, extractTo, dir.resolve("no-models-here"));
            Path first = demo.get();
            assertThat(first).isEqualTo(extractTo.resolve("demo-test.gguf"));
            assertThat(Files.mismatch(first, gguf)).isEqualTo(-1);
            Object key = fileKey(first);

            assertThat(demo.get()).isEqualTo(first);
            assertThat(fileKey(first)).as("the same file, not extracted again").isEqualTo(key);

            // A rebuilt jar whose model has the same name and size but other bytes (a retrained model):
            // its entry's time differs, so it is extracted again.
            Path bundled = dir.resolve("classes").resolve(DemoModel.RESOURCE_FOLDER).resolve("demo-test.gguf");
            byte[] other = Files.readAllBytes(bundled);
            other[other.length - 1] ^= 1;
            Files.write(bundled, other);
            Files.setLastModifiedTime(bundled, FileTime.from(Instant.now().plusSeconds(60)));
            assertThat(Files.mismatch(demo.get(), bundled)).isEqualTo(-1);
            try (var left = Files.list(extractTo)) {
                assertThat(left.map(p -> p.getFileName().toString())).containsExactly("demo-test.gguf"); // no .part files
            }
        }
    }

    @Test
    void withoutABundledModelTheLocalModelsFolderIsUsedLastNameFirst() throws IOException {
        Path models = dir.resolve("models");
        Files.createDirectories(models);
        Files.copy(gguf, models.resolve("demo-1.gguf"));
        Files.copy(gguf, models.resolve("demo-2.gguf"));
        Files.copy(gguf, models.resolve("other.gguf"));
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            Path extractTo = dir.resolve("data/models");
            assertThat(new DemoModel(empty, extractTo, models).get()).isEqualTo(models.resolve("demo-2.gguf"));
            assertThat(extractTo).doesNotExist(); // used in place, nothing copied
        }
    }

    @Test
    void withNoModelAnywhereTheMessageSaysWhatToSetAndWhereItLooked() throws IOException {
        try (URLClassLoader empty = new URLClassLoader(new URL[0], null)) {
            assertThatThrownBy(() -> new DemoModel(empty, dir.resolve("data/models"), dir.resolve("models")).get())
                    .isInstanceOf(NoModelException.class)
                    .hasMessageContaining("spring.ai.spts.chat.model-path")
                    .hasMessageContaining("classpath:spts/demo-model/demo-*.gguf")
                    .hasMessageContaining(dir.resolve("models").toAbsolutePath() + "/demo-*.gguf");
        }
    }

    @Test
    void withNoConfigurationTheApplicationServesTheBundledModel() throws IOException {
        try (URLClassLoader loader = bundling(dir.resolve("classes"), "demo-fixture.gguf", gguf)) {
            new ApplicationContextRunner()
                    .withConfiguration(AutoConfigurations.of(SptsChatAutoConfiguration.class))
                    .withClassLoader(loader)
                    .withPropertyValues("spring.ai.spts.chat.backend=cpu", "spring.ai.spts.chat.threads=1",
                            "spring.ai.spts.chat.demo-model.extract-to=" + dir.resolve("data/models"),
                            "spring.ai.spts.chat.demo-model.local-folder=" + dir.resolve("models"))
                    .run(context -> {
                        EngineScheduler scheduler = context.getBean(EngineScheduler.class);
                        assertThat(scheduler.awaitReady(Duration.ofSeconds(60))).as(String.valueOf(scheduler.failure())).isTrue();
                        assertThat(scheduler.loaded().modelId()).isEqualTo("demo-fixture");
                        assertThat(scheduler.loaded().model().format()).containsIgnoringCase("gguf");
                        var answer = context.getBean(SptsChatModel.class)
                                .call(new Prompt("Hello", SptsChatOptions.builder().maxTokens(2).temperature(0.0).build()));
                        assertThat(answer.getMetadata().getUsage().getCompletionTokens()).isBetween(1, 2);
                    });
        }
        assertThat(dir.resolve("data/models/demo-fixture.gguf")).exists();
    }
}
