package dev.sptsrag.service.ops;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Readiness of the engine: OUT_OF_SERVICE while the model loads, UP when it serves (backend, model,
 * context, device memory plan, queue), DOWN when loading failed (the reason) or after shutdown.
 * Part of the {@code readiness} health group, not of {@code liveness}: a model that is loading or
 * failed to load is no reason to restart the process.
 */
public final class EngineHealthIndicator implements HealthIndicator {
    private final EngineScheduler scheduler;

    public EngineHealthIndicator(EngineScheduler scheduler) {
        this.scheduler = scheduler;
    }

    @Override
    public Health health() {
        EngineState state = scheduler.state();
        Health.Builder b = switch (state) {
            case LOADING -> Health.outOfService();
            case READY -> Health.up();
            case FAILED, STOPPING, STOPPED -> Health.down();
        };
        b.withDetail("state", state.name().toLowerCase(java.util.Locale.ROOT));
        LoadedEngine l = scheduler.loadedOrNull();
        if (l != null) {
            b.withDetail("model", l.modelId())
                    .withDetail("architecture", l.model().config().architecture().name())
                    .withDetail("format", l.model().format())
                    .withDetail("backend", l.engine().backend().description())
                    .withDetail("contextLength", l.engine().contextLength())
                    .withDetail("memoryPlan", l.engine().memoryPlan().toString())
                    .withDetail("queueDepth", scheduler.queueDepth())
                    .withDetail("queueCapacity", scheduler.settings().queueCapacity())
                    .withDetail("activeRequests", scheduler.activeRequests())
                    .withDetail("maxSequences", l.engine().cache().sequences())
                    .withDetail("kvBlocks", l.engine().cache().blockCount())
                    .withDetail("kvBlockTokens", l.engine().cache().blockSize());
        }
        if (scheduler.failure() != null) {
            b.withDetail("error", String.valueOf(scheduler.failure().getMessage()));
        }
        return b.build();
    }
}
