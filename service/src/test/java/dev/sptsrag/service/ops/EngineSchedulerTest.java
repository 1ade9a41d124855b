package dev.sptsrag.service.ops;

import dev.sptsrag.inference.engine.FinishReason;
import dev.sptsrag.inference.engine.TokenListener;
import dev.sptsrag.service.TestEngines;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.boot.health.contributor.Status;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The scheduler over the real engine: queue bound, cancellation, timeout, shutdown, readiness. */
class EngineSchedulerTest {
    private EngineScheduler scheduler;
    private final List<EngineScheduler.Report> reports = new CopyOnWriteArrayList<>();

    private EngineScheduler start(int queue, Duration timeout, Duration shutdown) {
        scheduler = TestEngines.scheduler(queue, timeout, shutdown);
        scheduler.addListener(new EngineScheduler.Events() {
            @Override
            public void finished(EngineScheduler.Report report) {
                reports.add(report);
            }
        });
        return scheduler;
    }

    @AfterEach
    void close() {
        if (scheduler != null) {
            scheduler.close();
        }
    }

    @Test
    void aFullQueueIsBusyAndDrainsOnceTheEngineIsFree() throws Exception {
        start(1, Duration.ofSeconds(30), Duration.ofSeconds(5));
        TestEngines.Occupied busy = TestEngines.occupy(scheduler, 4, 4);
        TestEngines.Hold hold = busy.hold();
        EngineScheduler.Job running = busy.running();
        EngineScheduler.Job queued = busy.queued();
        assertThat(scheduler.queueDepth()).isEqualTo(1);
        assertThat(scheduler.activeRequests()).isEqualTo(1);

        assertThatThrownBy(() -> scheduler.submit(TestEngines.request(scheduler, "third", 4), TokenListener.IGNORE))
                .isInstanceOf(EngineBusyException.class)
                .hasMessageContaining("busy")
                .satisfies(e -> assertThat(((EngineBusyException) e).retryAfterSeconds()).isGreaterThanOrEqualTo(1));

        hold.release();
        assertThat(running.result().get(30, TimeUnit.SECONDS).generation().finishReason()).isNotNull();
        assertThat(queued.result().get(30, TimeUnit.SECONDS).outcome()).isEqualTo(EngineScheduler.Outcome.COMPLETED);
        assertThat(scheduler.queueDepth()).isZero();
    }

    /**
     * Requests submitted together run in one batch — several are active at once — and each answers exactly
     * what it answers alone; a request cancelled while the others run leaves them unchanged.
     */
    @Test
    void requestsRunTogetherAndEachAnswersWhatItAnswersAlone() throws Exception {
        String[] questions = {"the first question", "a second, longer question about the weather today", "third",
                "a fourth one", "and the fifth"};
        List<String> alone = new java.util.ArrayList<>();
        start(8, Duration.ofSeconds(60), Duration.ofSeconds(5));
        for (String q : questions) {
            alone.add(scheduler.submit(TestEngines.request(scheduler, q, 24), TokenListener.IGNORE).result()
                    .get(30, TimeUnit.SECONDS).generation().text());
        }
        scheduler.close();

        scheduler = TestEngines.scheduler(8, Duration.ofSeconds(60), Duration.ofSeconds(5), 4);
        java.util.concurrent.atomic.AtomicInteger mostActive = new java.util.concurrent.atomic.AtomicInteger();
        List<EngineScheduler.Job> jobs = new java.util.ArrayList<>();
        for (String q : questions) {
            jobs.add(scheduler.submit(TestEngines.request(scheduler, q, 24), (id, text) -> {
                mostActive.accumulateAndGet(scheduler.activeRequests(), Math::max);
                return true;
            }));
        }
        EngineScheduler.Job cancelled = scheduler.submit(TestEngines.request(scheduler, "cancel me", 200),
                (id, text) -> true);
        cancelled.cancel();
        for (int i = 0; i < questions.length; i++) {
            EngineScheduler.Report r = jobs.get(i).result().get(30, TimeUnit.SECONDS);
            assertThat(r.outcome()).isEqualTo(EngineScheduler.Outcome.COMPLETED);
            assertThat(r.generation().text()).as(questions[i]).isEqualTo(alone.get(i));
        }
        assertThatThrownBy(() -> cancelled.result().get(30, TimeUnit.SECONDS))
                .hasCauseInstanceOf(CancellationException.class);
        assertThat(mostActive.get()).as("requests generating at the same time").isGreaterThan(1);
        assertThat(scheduler.activeRequests()).isZero();
        assertThat(scheduler.loaded().engine().cache().availableBlocks())
                .as("every block free, or kept by the prefix cache for the next prompt and reclaimable")
                .isEqualTo(scheduler.loaded().engine().cache().blockCount());
    }

    @Test
    void cancellingFreesTheSlotWhetherQueuedOrRunning() throws Exception {
        start(1, Duration.ofSeconds(30), Duration.ofSeconds(5));
        TestEngines.Occupied busy = TestEngines.occupy(scheduler, 200, 4);
        TestEngines.Hold hold = busy.hold();
        EngineScheduler.Job running = busy.running();
        EngineScheduler.Job queued = busy.queued();

        queued.cancel(); // leaves the queue at once
        assertThat(scheduler.queueDepth()).isZero();
        assertThatThrownBy(() -> queued.result().get(5, TimeUnit.SECONDS)).hasCauseInstanceOf(CancellationException.class);
        EngineScheduler.Job next = scheduler.submit(TestEngines.request(scheduler, "third", 4), TokenListener.IGNORE);

        running.cancel(); // stops at its next token
        hold.release();
        assertThatThrownBy(() -> running.result().get(30, TimeUnit.SECONDS)).hasCauseInstanceOf(CancellationException.class);
        assertThat(next.result().get(30, TimeUnit.SECONDS).outcome()).isEqualTo(EngineScheduler.Outcome.COMPLETED);

        EngineScheduler.Report cancelled = reports.stream().filter(r -> r.generation() != null
                && r.generation().finishReason() == FinishReason.CANCELLED).findFirst().orElseThrow();
        assertThat(cancelled.outcome()).isEqualTo(EngineScheduler.Outcome.CANCELLED);
        assertThat(cancelled.generation().metrics().generatedTokens()).isEqualTo(1); // stopped at the held token
        assertThat(scheduler.activeRequests()).isZero();
    }

    @Test
    void aRequestPastItsTimeoutStopsGenerating() throws Exception {
        start(2, Duration.ofMillis(300), Duration.ofSeconds(5));
        TestEngines.Occupied busy = TestEngines.occupy(scheduler, 200, 4);
        TestEngines.Hold hold = busy.hold();
        EngineScheduler.Job slow = busy.running();
        EngineScheduler.Job waiting = busy.queued();
        Thread.sleep(500);
        hold.release();
        assertThatThrownBy(() -> slow.result().get(30, TimeUnit.SECONDS))
                .hasCauseInstanceOf(EngineTimeoutException.class).hasMessageContaining("generation was stopped");
        assertThatThrownBy(() -> waiting.result().get(30, TimeUnit.SECONDS))
                .hasCauseInstanceOf(EngineTimeoutException.class).hasMessageContaining("waiting");
        assertThat(reports).extracting(EngineScheduler.Report::outcome)
                .containsOnly(EngineScheduler.Outcome.TIMEOUT).hasSize(2);
    }

    @Test
    void shutdownDrainsTheQueueThenRefuses() throws Exception {
        start(2, Duration.ofSeconds(30), Duration.ofSeconds(20));
        TestEngines.Occupied busy = TestEngines.occupy(scheduler, 8, 8);
        TestEngines.Hold hold = busy.hold();
        EngineScheduler.Job running = busy.running();
        EngineScheduler.Job queued = busy.queued();
        Thread closer = Thread.ofPlatform().start(scheduler::close);
        while (scheduler.state() != EngineState.STOPPING) {
            Thread.onSpinWait();
        }
        assertThatThrownBy(() -> scheduler.submit(TestEngines.request(scheduler, "late", 4), TokenListener.IGNORE))
                .isInstanceOf(EngineUnavailableException.class).hasMessageContaining("shutting down");
        hold.release();
        closer.join(30_000);
        assertThat(running.result().get(1, TimeUnit.SECONDS).outcome()).isEqualTo(EngineScheduler.Outcome.COMPLETED);
        assertThat(queued.result().get(1, TimeUnit.SECONDS).outcome()).isEqualTo(EngineScheduler.Outcome.COMPLETED);
        assertThat(scheduler.state()).isEqualTo(EngineState.STOPPED);
        assertThat(new EngineHealthIndicator(scheduler).health().getStatus()).isEqualTo(Status.DOWN);
    }

    @Test
    void shutdownRejectsWhatOutlivesItsTimeout() throws Exception {
        start(2, Duration.ofSeconds(30), Duration.ofMillis(200));
        TestEngines.Occupied busy = TestEngines.occupy(scheduler, 200, 8);
        TestEngines.Hold hold = busy.hold();
        EngineScheduler.Job running = busy.running();
        EngineScheduler.Job queued = busy.queued();
        Thread releaser = Thread.ofPlatform().start(() -> {
            try {
                Thread.sleep(400);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            hold.release();
        });
        scheduler.close();
        releaser.join();
        assertThatThrownBy(() -> queued.result().get(1, TimeUnit.SECONDS))
                .isInstanceOf(ExecutionException.class).hasCauseInstanceOf(EngineUnavailableException.class);
        assertThatThrownBy(() -> running.result().get(5, TimeUnit.SECONDS))
                .hasCauseInstanceOf(EngineUnavailableException.class).hasMessageContaining("while generating");
        assertThat(scheduler.state()).isEqualTo(EngineState.STOPPED);
    }

    @Test
    void whileLoadingReadinessIsOutOfServiceAndRequestsAreRefused() throws Exception {
        java.util.concurrent.CountDownLatch loaded = new java.util.concurrent.CountDownLatch(1);
        EngineLoader real = EngineLoader.of(TestEngines.fixture(128));
        scheduler = new EngineScheduler(() -> {
            try {
                loaded.await(30, TimeUnit.SECONDS);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return real.load();
        }, new EngineScheduler.Settings(1, Duration.ofSeconds(30), Duration.ofSeconds(5)));
        scheduler.start();
        var health = new EngineHealthIndicator(scheduler).health();
        assertThat(health.getStatus()).isEqualTo(Status.OUT_OF_SERVICE);
        assertThat(health.getDetails()).containsEntry("state", "loading");
        assertThatThrownBy(() -> scheduler.loaded()).isInstanceOf(EngineUnavailableException.class)
                .hasMessageContaining("still loading");
        loaded.countDown();
        assertThat(scheduler.awaitReady(Duration.ofSeconds(30))).isTrue();
        assertThat(new EngineHealthIndicator(scheduler).health().getStatus()).isEqualTo(Status.UP);
    }

    @Test
    void readinessFollowsLoading() throws Exception {
        start(1, Duration.ofSeconds(30), Duration.ofSeconds(5));
        var health = new EngineHealthIndicator(scheduler).health();
        assertThat(health.getStatus()).isEqualTo(Status.UP);
        assertThat(health.getDetails()).containsEntry("state", "ready").containsEntry("model", "llama-gqa-rope3")
                .containsKeys("backend", "memoryPlan", "contextLength");
        assertThat(new EngineWorkerHealthIndicator(scheduler).health().getStatus()).isEqualTo(Status.UP);

        EngineScheduler failing = new EngineScheduler(() -> {
            throw new IllegalStateException("no such model: /nowhere");
        }, new EngineScheduler.Settings(1, Duration.ofSeconds(1), Duration.ofSeconds(1)));
        failing.start();
        assertThat(failing.awaitReady(Duration.ofSeconds(10))).isFalse();
        var down = new EngineHealthIndicator(failing).health();
        assertThat(down.getStatus()).isEqualTo(Status.DOWN);
        assertThat(down.getDetails()).containsEntry("state", "failed").containsEntry("error", "no such model: /nowhere");
        assertThat(new EngineWorkerHealthIndicator(failing).health().getStatus()).isEqualTo(Status.UP);
        assertThatThrownBy(failing::loaded).isInstanceOf(EngineUnavailableException.class)
                .hasMessageContaining("failed to load: no such model");
        failing.close();
        assertThat(failing.state()).isEqualTo(EngineState.STOPPED);
    }
}
