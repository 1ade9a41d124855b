package dev.sptsrag.service.ai;

import dev.sptsrag.service.Fixtures;
import dev.sptsrag.service.ops.EngineHealthIndicator;
import dev.sptsrag.service.ops.EngineLoader;
import dev.sptsrag.service.ops.EngineMetrics;
import dev.sptsrag.service.ops.EngineScheduler;
import dev.sptsrag.service.ops.EngineState;
import dev.sptsrag.service.ops.EngineUnavailableException;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.ai.chat.model.ChatModel;
import org.springframework.boot.autoconfigure.AutoConfigurations;
import org.springframework.boot.health.contributor.Status;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

import java.nio.file.Path;
import java.time.Duration;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class SptsChatAutoConfigurationTest {
    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withConfiguration(AutoConfigurations.of(SptsChatAutoConfiguration.class));

    @Test
    void propertiesConfigureTheEngineAndTheDefaultOptions() {
        runner.withPropertyValues(
                        "spring.ai.spts.chat.model-path=" + Fixtures.model(Fixtures.LLAMA),
                        "spring.ai.spts.chat.model-id=tiny",
                        "spring.ai.spts.chat.backend=cpu",
                        "spring.ai.spts.chat.threads=1",
                        "spring.ai.spts.chat.context-length=128",
                        "spring.ai.spts.chat.queue-size=3",
                        "spring.ai.spts.chat.request-timeout=7s",
                        "spring.ai.spts.chat.options.temperature=0.2",
                        "spring.ai.spts.chat.options.top-k=5",
                        "spring.ai.spts.chat.options.stop-sequences=END,STOP",
                        "spring.ai.spts.chat.options.skip=default")
                .run(context -> {
                    assertThat(context).hasSingleBean(SptsChatModel.class).hasSingleBean(EngineMetrics.class)
                            .hasBean("engineHealthIndicator").hasBean("engineWorkerHealthIndicator");
                    EngineScheduler scheduler = context.getBean(EngineScheduler.class);
                    assertThat(scheduler.awaitReady(Duration.ofSeconds(30))).isTrue();
                    assertThat(scheduler.settings().queueCapacity()).isEqualTo(3);
                    assertThat(scheduler.settings().requestTimeout()).isEqualTo(Duration.ofSeconds(7));
                    assertThat(scheduler.loaded().engine().contextLength()).isEqualTo(128);
                    assertThat(scheduler.loaded().modelId()).isEqualTo("tiny");
                    SptsChatOptions defaults = context.getBean(SptsChatModel.class).getOptions();
                    assertThat(defaults.getModel()).isEqualTo("tiny");
                    assertThat(defaults.getTemperature()).isEqualTo(0.2);
                    assertThat(defaults.getTopK()).isEqualTo(5);
                    assertThat(defaults.getStopSequences()).containsExactly("END", "STOP");
                    assertThat(defaults.getSkip()).isEqualTo(SkipSpec.preset("default"));
                });
    }

    @Test
    void withoutAModelPathOrADemoModelTheAppStartsAndSaysWhatIsMissing(@TempDir Path empty) {
        runner.withClassLoader(Fixtures.withoutBundledDemoModel())
                .withPropertyValues("spring.ai.spts.chat.demo-model.local-folder=" + empty.resolve("models"))
                .run(context -> {
                    EngineScheduler scheduler = context.getBean(EngineScheduler.class);
                    assertThat(scheduler.awaitReady(Duration.ofSeconds(10))).isFalse();
                    assertThat(scheduler.state()).isEqualTo(EngineState.FAILED);
                    var health = context.getBean(EngineHealthIndicator.class).health();
                    assertThat(health.getStatus()).isEqualTo(Status.DOWN);
                    assertThat((String) health.getDetails().get("error")).contains("spring.ai.spts.chat.model-path")
                            .contains("no demo model found").contains(empty.resolve("models").toString());
                    assertThatThrownBy(() -> context.getBean(SptsChatModel.class).call("hi"))
                            .isInstanceOf(EngineUnavailableException.class).hasMessageContaining("failed to load");
                });
    }

    @Test
    void withTheDemoModelSwitchedOffAModelPathIsRequired() {
        runner.withPropertyValues("spring.ai.spts.chat.demo-model.enabled=false").run(context -> {
            EngineScheduler scheduler = context.getBean(EngineScheduler.class);
            assertThat(scheduler.awaitReady(Duration.ofSeconds(10))).isFalse();
            assertThat(scheduler.failure()).isInstanceOf(dev.sptsrag.service.ops.NoModelException.class)
                    .hasMessageContaining("spring.ai.spts.chat.model-path").hasMessageNotContaining("demo model");
        });
    }

    @Test
    void anotherChatProviderSwitchesItOff() {
        runner.withPropertyValues("spring.ai.model.chat=openai")
                .run(context -> assertThat(context).doesNotHaveBean(ChatModel.class).doesNotHaveBean(EngineScheduler.class));
    }

    @Test
    void theApplicationsOwnBeansWin() {
        runner.withUserConfiguration(OwnScheduler.class).run(context -> {
            assertThat(context).hasSingleBean(EngineScheduler.class);
            assertThat(context.getBean(EngineScheduler.class)).isSameAs(context.getBean("ownScheduler"));
            assertThat(context.getBean(SptsChatModel.class).scheduler()).isSameAs(context.getBean("ownScheduler"));
        });
    }

    @Configuration(proxyBeanMethods = false)
    static class OwnScheduler {
        @Bean(destroyMethod = "close")
        EngineScheduler ownScheduler() {
            return new EngineScheduler(EngineLoader.of(new EngineLoader.Settings(null, null, "cpu", 1, 0, 0)),
                    new EngineScheduler.Settings(1, Duration.ofSeconds(1), Duration.ofSeconds(1)));
        }
    }
}
