package dev.sptsrag.service.ai;

import dev.sptsrag.service.ops.EngineHealthIndicator;
import dev.sptsrag.service.ops.EngineLoader;
import dev.sptsrag.service.ops.EngineMetrics;
import dev.sptsrag.service.ops.EngineScheduler;
import dev.sptsrag.service.ops.EngineWorkerHealthIndicator;
import io.micrometer.core.instrument.binder.MeterBinder;
import io.micrometer.observation.ObservationRegistry;
import org.springframework.ai.chat.observation.ChatModelObservationConvention;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.autoconfigure.AutoConfiguration;
import org.springframework.boot.autoconfigure.condition.ConditionalOnClass;
import org.springframework.boot.autoconfigure.condition.ConditionalOnMissingBean;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.core.io.ResourceLoader;

/**
 * The engine as a Spring AI chat model: an {@link EngineScheduler} that loads the configured model (or,
 * with none configured, the {@link DemoModel}) in the background, a {@link SptsChatModel} over it, and, where Actuator and Micrometer are present, the
 * engine's health indicators ({@code engine} for readiness, {@code engineWorker} for liveness) and
 * meters. Active unless {@code spring.ai.model.chat} names another provider; each bean yields to one the
 * application defines.
 */
@AutoConfiguration
@ConditionalOnClass(SptsChatModel.class)
@ConditionalOnProperty(name = "spring.ai.model.chat", havingValue = SptsChatModel.PROVIDER, matchIfMissing = true)
@EnableConfigurationProperties(SptsChatProperties.class)
public class SptsChatAutoConfiguration {

    @Bean(destroyMethod = "close")
    @ConditionalOnMissingBean
    public EngineScheduler sptsEngineScheduler(SptsChatProperties p, ResourceLoader resources) {
        EngineLoader.Settings settings = new EngineLoader.Settings(p.getModelPath(), p.getModelId(), p.getBackend(),
                p.getThreads(), p.getContextLength(), p.getBatch(), p.getMaxSequences(), p.getKvCacheTokens(), p.isPrefixCache());
        SptsChatProperties.Demo demo = p.getDemoModel();
        EngineScheduler scheduler = new EngineScheduler(
                demo.isEnabled()
                        ? EngineLoader.of(settings, new DemoModel(resources.getClassLoader(), demo.getExtractTo(), demo.getLocalFolder()))
                        : EngineLoader.of(settings),
                new EngineScheduler.Settings(p.getQueueSize(), p.getRequestTimeout(), p.getShutdownTimeout()));
        scheduler.start();
        return scheduler;
    }

    @Bean
    @ConditionalOnMissingBean
    public SptsChatModel sptsChatModel(EngineScheduler scheduler, SptsChatProperties p,
                                       ObjectProvider<ObservationRegistry> observationRegistry,
                                       ObjectProvider<ChatModelObservationConvention> observationConvention) {
        SptsChatModel model = new SptsChatModel(scheduler, p.getOptions().toChatOptions(),
                observationRegistry.getIfUnique(() -> ObservationRegistry.NOOP));
        observationConvention.ifAvailable(model::setObservationConvention);
        return model;
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(MeterBinder.class)
    static class Metrics {
        @Bean
        @ConditionalOnMissingBean
        EngineMetrics sptsEngineMetrics(EngineScheduler scheduler) {
            return new EngineMetrics(scheduler);
        }
    }

    @Configuration(proxyBeanMethods = false)
    @ConditionalOnClass(HealthIndicator.class)
    static class Health {
        @Bean
        @ConditionalOnMissingBean(name = "engineHealthIndicator")
        EngineHealthIndicator engineHealthIndicator(EngineScheduler scheduler) {
            return new EngineHealthIndicator(scheduler);
        }

        @Bean
        @ConditionalOnMissingBean(name = "engineWorkerHealthIndicator")
        EngineWorkerHealthIndicator engineWorkerHealthIndicator(EngineScheduler scheduler) {
            return new EngineWorkerHealthIndicator(scheduler);
        }
    }
}
