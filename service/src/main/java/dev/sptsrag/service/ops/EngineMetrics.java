package dev.sptsrag.service.ops;

import dev.sptsrag.inference.decoder.KvCache;
import dev.sptsrag.inference.engine.GenerationMetrics;
import dev.sptsrag.inference.engine.GenerationResult;
import dev.sptsrag.inference.spts.SkipStatistics;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.DistributionSummary;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;

import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The engine's meters: TTFT and end-to-end latency (with histograms for percentiles), time in the
 * queue, prefill and decode throughput, queue depth, active requests, the share of prompt-token rows
 * SPTS skipped, the KV cache bytes planned and kept, and requests by outcome. Spring Boot binds it to
 * every registry (it is a {@link MeterBinder}); the Spring AI observation adds the standard
 * {@code gen_ai.client.*} meters beside these.
 */
public final class EngineMetrics implements MeterBinder, EngineScheduler.Events {
    private final EngineScheduler scheduler;
    private volatile Meters meters;

    public EngineMetrics(EngineScheduler scheduler) {
        this.scheduler = scheduler;
    }

    private record Meters(Timer ttft, Map<EngineScheduler.Outcome, Timer> latency, Timer queueWait,
                          DistributionSummary prefill, DistributionSummary decode, DistributionSummary skipped,
                          DistributionSummary kvKept, Map<EngineScheduler.Outcome, Counter> requests, Counter rejected,
                          GenAiServer genAi) {
    }

    /**
     * The OpenTelemetry GenAI semantic conventions' server-side meters (seconds, histograms), beside Spring AI's
     * client-side {@code gen_ai.client.*}: what a dashboard built for any GenAI server reads.
     */
    private record GenAiServer(Timer timeToFirstToken, Timer timePerOutputToken, Timer requestDuration) {
        static GenAiServer register(MeterRegistry registry) {
            return new GenAiServer(
                    genAi("gen_ai.server.time_to_first_token", "Time to the first generated token, queue included")
                            .register(registry),
                    genAi("gen_ai.server.time_per_output_token", "Time per generated token after the first")
                            .register(registry),
                    genAi("gen_ai.server.request.duration", "Time from the request's arrival to its last token")
                            .register(registry));
        }

        private static Timer.Builder genAi(String name, String description) {
            return Timer.builder(name).description(description).tag("gen_ai.operation.name", "chat")
                    .tag("gen_ai.provider.name", "spts-rag").publishPercentileHistogram();
        }
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        Map<EngineScheduler.Outcome, Timer> latency = new EnumMap<>(EngineScheduler.Outcome.class);
        Map<EngineScheduler.Outcome, Counter> requests = new EnumMap<>(EngineScheduler.Outcome.class);
        for (EngineScheduler.Outcome o : EngineScheduler.Outcome.values()) {
            String tag = o.name().toLowerCase(java.util.Locale.ROOT);
            latency.put(o, Timer.builder("spts.engine.latency").description("End-to-end request time, queue included")
                    .tag("outcome", tag).publishPercentileHistogram().register(registry));
            requests.put(o, Counter.builder("spts.engine.requests").description("Requests that reached the engine's queue")
                    .tag("outcome", tag).register(registry));
        }
        Meters m = new Meters(
                Timer.builder("spts.engine.ttft").description("Time to first token, from the start of the prefill")
                        .publishPercentileHistogram().register(registry),
                latency,
                Timer.builder("spts.engine.queue.wait").description("Time waiting for the engine")
                        .publishPercentileHistogram().register(registry),
                DistributionSummary.builder("spts.engine.prefill.throughput").baseUnit("tokens/s")
                        .description("Prompt tokens per second of prefill").register(registry),
                DistributionSummary.builder("spts.engine.decode.throughput").baseUnit("tokens/s")
                        .description("Generated tokens per second after the first").register(registry),
                DistributionSummary.builder("spts.engine.skipped.ratio")
                        .description("Share of prompt-token rows (layers x tokens) SPTS left out of attention; 0 without skipping")
                        .register(registry),
                DistributionSummary.builder("spts.engine.kv.kept").baseUnit("bytes")
                        .description("KV cache bytes an SPTS prefill kept").register(registry),
                requests,
                Counter.builder("spts.engine.rejected").description("Requests refused before queueing (busy or not ready)")
                        .register(registry),
                GenAiServer.register(registry));
        Gauge.builder("spts.engine.queue.depth", scheduler, EngineScheduler::queueDepth)
                .description("Requests waiting for the engine").register(registry);
        Gauge.builder("spts.engine.active.requests", scheduler, EngineScheduler::activeRequests)
                .description("Requests the engine is generating").register(registry);
        Gauge.builder("spts.engine.kv.cache", scheduler, EngineMetrics::kvCacheBytes).baseUnit("bytes")
                .description("KV cache bytes the engine holds on its device").register(registry);
        Gauge.builder("spts.engine.batch.rows", scheduler, EngineScheduler::lastStepRows)
                .description("Token rows of the latest engine step: one per decoding request plus prompt chunks")
                .register(registry);
        Gauge.builder("spts.engine.kv.blocks", scheduler, s -> kvBlocks(s, "used")).tag("state", "used")
                .description("Blocks of the paged KV cache held by running requests").register(registry);
        Gauge.builder("spts.engine.kv.blocks", scheduler, s -> kvBlocks(s, "kept")).tag("state", "kept")
                .description("Blocks only the prefix cache holds: reused by a matching prompt, reclaimed when needed")
                .register(registry);
        Gauge.builder("spts.engine.kv.blocks", scheduler, s -> kvBlocks(s, "free")).tag("state", "free")
                .description("Blocks of the paged KV cache free for new requests").register(registry);
        FunctionCounter.builder("spts.engine.preemptions", scheduler, EngineMetrics::preemptions)
                .description("Requests that gave their KV blocks back for others to decode, and were recomputed")
                .register(registry);
        FunctionCounter.builder("spts.engine.prefix.reused", scheduler,
                        s -> s.loadedOrNull() == null ? 0 : s.loadedOrNull().engine().batcher().prefixTokensReused())
                .baseUnit("tokens").description("Prompt tokens whose KV cache came from a kept prefix instead of a prefill")
                .register(registry);
        Gauge.builder("spts.engine.ready", scheduler, s -> s.state() == EngineState.READY ? 1 : 0)
                .description("1 when the engine serves requests").register(registry);
        if (meters == null) {
            scheduler.addListener(this);
        }
        meters = m;
    }

    // Read on the scrape's thread while the engine's worker changes them: a gauge tolerates a step's lag.
    private static double kvBlocks(EngineScheduler s, String state) {
        LoadedEngine l = s.loadedOrNull();
        if (l == null) {
            return 0;
        }
        KvCache cache = l.engine().cache();
        int free = cache.freeBlocks();
        int kept = Math.min(s.keptBlocks(), cache.blockCount() - free);
        return switch (state) {
            case "free" -> free;
            case "kept" -> kept;
            default -> cache.blockCount() - free - kept;
        };
    }

    private static double preemptions(EngineScheduler s) {
        LoadedEngine l = s.loadedOrNull();
        return l == null ? 0 : l.engine().batcher().preemptions();
    }

    private static double kvCacheBytes(EngineScheduler s) {
        LoadedEngine l = s.loadedOrNull();
        return l == null ? 0 : l.engine().memoryPlan().kvCacheBytes();
    }

    @Override
    public void rejected(Throwable reason) {
        Meters m = meters;
        if (m != null) {
            m.rejected().increment();
        }
    }

    @Override
    public void finished(EngineScheduler.Report report) {
        Meters m = meters;
        if (m == null) {
            return;
        }
        m.requests().get(report.outcome()).increment();
        m.latency().get(report.outcome()).record(report.totalNanos(), TimeUnit.NANOSECONDS);
        m.queueWait().record(report.queueNanos(), TimeUnit.NANOSECONDS);
        GenerationResult r = report.generation();
        if (r == null) {
            return;
        }
        GenerationMetrics g = r.metrics();
        m.ttft().record(g.timeToFirstTokenNanos(), TimeUnit.NANOSECONDS);
        m.genAi().timeToFirstToken().record(report.queueNanos() + g.timeToFirstTokenNanos(), TimeUnit.NANOSECONDS);
        m.genAi().requestDuration().record(report.totalNanos(), TimeUnit.NANOSECONDS);
        if (g.generatedTokens() > 1) {
            m.genAi().timePerOutputToken().record(g.decodeNanos() / (g.generatedTokens() - 1), TimeUnit.NANOSECONDS);
        }
        m.prefill().record(g.prefillTokensPerSecond());
        if (g.generatedTokens() > 1) {
            m.decode().record(g.decodeTokensPerSecond());
        }
        SkipStatistics s = r.skipStatistics();
        m.skipped().record(skippedRatio(s));
        if (s != null) {
            m.kvKept().record(s.kvBytesKept());
        }
    }

    /** 1 − (attention-active rows over all layers) / (layers × prompt tokens); 0 when nothing was skipped. */
    public static double skippedRatio(SkipStatistics s) {
        if (s == null || s.promptTokens() == 0) {
            return 0;
        }
        int[] active = s.attentionActive();
        long sum = 0;
        for (int a : active) {
            sum += a;
        }
        return 1 - (double) sum / ((long) active.length * s.promptTokens());
    }
}
