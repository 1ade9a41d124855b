package dev.sptsrag.service.web;

import dev.sptsrag.service.load.LoadTester;
import dev.sptsrag.service.load.LoadTester.Kind;
import dev.sptsrag.service.load.LoadTester.Outcome;
import org.junit.jupiter.api.Test;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

/**
 * A short run of the load tester against the whole application (fixture model, queue of one, API key):
 * after a warm-up of one request of each kind, six askers for three seconds must overflow the queue, so
 * 429s really happen, and nothing may be lost or fail on the way. The full run and its numbers are in docs/benchmarks.md.
 */
class LoadTesterTest extends WebTestBase {

    @Test
    void everyRequestIsAnsweredRefusedOrCancelledAndTheEngineDrains() {
        LoadTester.Config config = new LoadTester.Config(uri("/"), 6, Duration.ofSeconds(3), 1, KEY, 8,
                Duration.ofSeconds(60), Duration.ofSeconds(30));
        // Generous: the run sends for 3 s; only a deadlock (or a request that never ends) takes minutes.
        LoadTester.Report r = assertTimeoutPreemptively(Duration.ofMinutes(3), () -> LoadTester.run(config),
                "the load test did not finish: deadlock or a request that never ended");
        System.out.print(r.format()); // the figures, for whoever reads the build log

        assertThat(r.violations()).as(r.format()).isEmpty();
        assertThat(r.sent()).isPositive();
        assertThat(r.accounted()).as(r.format()).isEqualTo(r.sent());
        assertThat(r.count(Outcome.ERROR)).as(r.format()).isZero();
        assertThat(r.count(Outcome.REFUSED)).as("429s with a queue of one and six askers\n" + r.format()).isPositive();
        assertThat(r.count(Outcome.ANSWERED)).as(r.format()).isPositive();
        assertThat(r.latencyPercentile(50)).isPositive().isLessThanOrEqualTo(r.latencyPercentile(99));
        // The warm-up sends each kind once, alone, so what each kind does is checked whatever the timing:
        // the full answers are answered, the streams we hang up on after their first text are cancelled.
        Map<Kind, Map<Outcome, Long>> w = r.warmup();
        for (Kind k : List.of(Kind.ASK, Kind.ASK_STREAM, Kind.CHAT, Kind.CHAT_STREAM)) {
            assertThat(w.get(k).get(Outcome.ANSWERED)).as(k + "\n" + r.format()).isEqualTo(1);
        }
        for (Kind k : List.of(Kind.ASK_STREAM_CANCEL, Kind.CHAT_STREAM_CANCEL)) {
            assertThat(w.get(k).get(Outcome.CANCELLED)).as(k + "\n" + r.format()).isEqualTo(1);
        }

        // What the tool read from the meters, and the scheduler itself: drained and healthy.
        assertThat(r.server().healthy()).isTrue();
        assertThat(r.server().queueDepth()).isZero();
        assertThat(r.server().activeRequests()).isZero();
        assertThat(r.server().counted().rejected()).isEqualTo(r.count(Outcome.REFUSED));
        assertThat(scheduler.queueDepth()).isZero();
        assertThat(scheduler.activeRequests()).isZero();
    }
}
