package dev.sptsrag.service.ops;

import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;

/**
 * Liveness of the engine: DOWN only when the worker thread has died while the engine was serving
 * (a restart is then the remedy). Loading, a failed load and shutdown are readiness matters.
 */
public final class EngineWorkerHealthIndicator implements HealthIndicator {
    private final EngineScheduler scheduler;

    public EngineWorkerHealthIndicator(EngineScheduler scheduler) {
        this.scheduler = scheduler;
    }

    @Override
    public Health health() {
        return scheduler.workerDied() ? Health.down().withDetail("worker", "the engine's worker thread died").build()
                : Health.up().build();
    }
}
