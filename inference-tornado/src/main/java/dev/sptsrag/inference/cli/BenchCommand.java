package dev.sptsrag.inference.cli;

import dev.sptsrag.inference.engine.BatchSettings;
import dev.sptsrag.inference.engine.ContinuousBatcher;
import dev.sptsrag.inference.engine.Generation;
import dev.sptsrag.inference.engine.GenerationMetrics;
import dev.sptsrag.inference.engine.GenerationRequest;
import dev.sptsrag.inference.engine.GenerationResult;
import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.engine.SamplingOptions;
import dev.sptsrag.inference.engine.TokenListener;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.spts.SkipBudget;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.PrintWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code spts bench}: prefill and decode throughput on random prompt tokens. The end-of-text token
 * is ignored, so every run generates exactly {@code --gen-tokens}. The first run warms the JIT and
 * is not reported when {@code --runs} is above one.
 */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "Measure prefill and decode speed (random prompt tokens, greedy decoding).")
final class BenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Option(names = "--prompt-tokens", defaultValue = "512", split = ",",
            description = "Prompt lengths, comma-separated; one model load measures them all (default ${DEFAULT-VALUE}).")
    List<Integer> promptTokens;

    @Option(names = "--skip", paramLabel = "BUDGET",
            description = "SPTS skip budgets to measure, repeatable (off, default, llama:pap, a JSON object...); default: off.")
    List<String> skips = new ArrayList<>();

    @Option(names = "--ltp", defaultValue = "auto", paramLabel = "PROXY",
            description = "LTP proxy for skip modes pap-ltp and spts: a file from spts calibrate, auto (beside the model), "
                    + "synthetic (random factors of the paper's shape, for presets: measures cost only), or none (default: ${DEFAULT-VALUE}).")
    String ltp;

    @Option(names = "--gen-tokens", defaultValue = "32", description = "Tokens to decode (default ${DEFAULT-VALUE}).")
    int genTokens;

    @Option(names = "--concurrency", split = ",", paramLabel = "N",
            description = "Sequences decoded together (continuous batching), comma-separated, e.g. 1,4,16,64: reports "
                    + "the aggregate decode speed of each instead of the single-sequence table.")
    List<Integer> concurrency = new ArrayList<>();

    @Option(names = "--runs", defaultValue = "3", description = "Runs; the first is a warm-up when more than one (default ${DEFAULT-VALUE}).")
    int runs;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (promptTokens.isEmpty() || promptTokens.stream().anyMatch(n -> n < 1) || genTokens < 1 || runs < 1) {
            throw new IllegalArgumentException("--prompt-tokens, --gen-tokens and --runs must be >= 1");
        }
        int longest = promptTokens.stream().mapToInt(Integer::intValue).max().orElseThrow();
        long t0 = System.nanoTime();
        try (LoadedModel loaded = model.open()) {
            int context = Math.max(runtime.contextFor(loaded.config().contextLength()), longest + genTokens + 1);
            if (concurrency.stream().anyMatch(n -> n < 1)) {
                throw new IllegalArgumentException("--concurrency values must be >= 1");
            }
            int sequences = concurrency.stream().mapToInt(Integer::intValue).max().orElse(1);
            // No tokenizer: the engine then never stops at an end-of-text token.
            try (InferenceEngine engine = new InferenceEngine(loaded.config(), loaded.weights(), null,
                    runtime.createBackend(err), context, runtime.batch, new BatchSettings(sequences, 0, false),
                    new Progress(err, "loading layers", loaded.config().layerCount()))) {
                LowRankProxyOption.apply(ltp, loaded, engine, err);
                double loadSeconds = (System.nanoTime() - t0) / 1e9;
                err.println("memory plan: " + engine.memoryPlan());
                if (!concurrency.isEmpty()) {
                    out.println("| model | backend | prompt | sequences | generated each | aggregate decode tok/s "
                            + "| per sequence tok/s | step ms | prefill s | KV blocks used / pool |");
                    out.println("|---|---|---|---|---|---|---|---|---|---|");
                    for (int length : promptTokens) {
                        for (int n : concurrency) {
                            out.println(measureTogether(engine, loaded, length, n, err));
                        }
                    }
                    return 0;
                }
                List<String> rows = new ArrayList<>();
                for (String skip : skips.isEmpty() ? List.of("off") : skips) {
                    SkipBudget budget = SkipBudget.parse(skip, loaded.config());
                    for (int length : promptTokens) {
                        rows.add(measure(engine, loaded, skip, budget, length, loadSeconds, err));
                    }
                }
                out.println("| model | backend | skip | prompt | generated | prefill tok/s | TTFT s | decode tok/s | total s "
                        + "| weights GiB | KV GiB | planned GiB | held GiB | load s |");
                out.println("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
                rows.forEach(out::println);
            }
        }
        return 0;
    }

    /** Runs one (budget, prompt length) cell {@code --runs} times; the table row of the measured runs. */
    private String measure(InferenceEngine engine, LoadedModel loaded, String skip, SkipBudget budget, int length,
                           double loadSeconds, PrintWriter err) {
        int[] prompt = new SplittableRandom(11).ints(length, 0, loaded.config().vocabSize()).toArray();
        SamplingOptions greedy = SamplingOptions.greedy(genTokens);
        double prefill = 0, decode = 0, ttft = 0, total = 0;
        int measured = 0;
        for (int run = 0; run < runs; run++) {
            GenerationResult r = engine.generate(new GenerationRequest(prompt, greedy, budget), TokenListener.IGNORE);
            GenerationMetrics m = r.metrics();
            double seconds = (m.timeToFirstTokenNanos() + m.decodeNanos()) / 1e9;
            err.printf("skip %s, prompt %d, run %d: prefill %.2f tok/s, TTFT %.3f s, decode %.2f tok/s, total %.3f s%s%n",
                    skip, length, run + 1, m.prefillTokensPerSecond(), m.timeToFirstTokenNanos() / 1e9,
                    m.decodeTokensPerSecond(), seconds, r.skipStatistics() == null ? "" : "\n    " + r.skipStatistics());
            if (runs == 1 || run > 0) {
                prefill += m.prefillTokensPerSecond();
                decode += m.decodeTokensPerSecond();
                ttft += m.timeToFirstTokenNanos() / 1e9;
                total += seconds;
                measured++;
            }
        }
        return String.format("| %s | %s | %s | %d | %d | %.2f | %.3f | %.2f | %.3f | %.2f | %.3f | %.2f | %.2f | %.1f |",
                loaded.config().name(), engine.backend().description(), skip, length, genTokens, prefill / measured,
                ttft / measured, decode / measured, total / measured, engine.deviceModel().matrixBytes() / GIB,
                engine.cache().bytes() / GIB, engine.memoryPlan().totalBytes() / GIB,
                engine.backend().allocatedBytes() / GIB, loadSeconds);
    }

    /**
     * {@code n} sequences of {@code length} random tokens admitted together, {@code --runs} times: the prefill
     * (until every one has its first token) timed apart from the decode, whose steps hold one row per sequence.
     */
    private String measureTogether(InferenceEngine engine, LoadedModel loaded, int length, int n, PrintWriter err) {
        ContinuousBatcher batcher = engine.batcher();
        double decodeTps = 0, stepMs = 0, prefillSeconds = 0;
        int measured = 0, peakBlocks = 0;
        for (int run = 0; run < runs; run++) {
            List<Generation> generations = new ArrayList<>();
            long t0 = System.nanoTime();
            for (int i = 0; i < n; i++) {
                int[] prompt = new SplittableRandom(11 + i).ints(length, 0, loaded.config().vocabSize()).toArray();
                Generation g = batcher.admit(new GenerationRequest(prompt, SamplingOptions.greedy(genTokens)),
                        TokenListener.IGNORE);
                if (g == null) {
                    throw new IllegalStateException("the KV cache holds fewer than " + n + " sequences of " + length
                            + " tokens: " + engine.memoryPlan());
                }
                generations.add(g);
            }
            while (generations.stream().anyMatch(g -> g.generatedTokens() == 0 && !g.isDone())) {
                batcher.step();
            }
            engine.backend().synchronize();
            long t1 = System.nanoTime();
            int steps = 0;
            int before = generations.stream().mapToInt(Generation::generatedTokens).sum();
            while (batcher.running() > 0) {
                peakBlocks = Math.max(peakBlocks, batcher.cache().blockCount() - batcher.cache().freeBlocks());
                batcher.step();
                steps++;
            }
            engine.backend().synchronize();
            long t2 = System.nanoTime();
            int decoded = generations.stream().mapToInt(g -> g.result().tokens().length).sum() - before;
            double tps = decoded / ((t2 - t1) / 1e9);
            err.printf("prompt %d, %d sequences, run %d: prefill %.3f s, decode %.1f tok/s over %d steps%n", length, n,
                    run + 1, (t1 - t0) / 1e9, tps, steps);
            if (runs == 1 || run > 0) {
                decodeTps += tps;
                stepMs += steps == 0 ? 0 : (t2 - t1) / 1e6 / steps;
                prefillSeconds += (t1 - t0) / 1e9;
                measured++;
            }
        }
        return String.format("| %s | %s | %d | %d | %d | %.1f | %.1f | %.2f | %.3f | %d / %d |", loaded.config().name(),
                engine.backend().description(), length, n, genTokens, decodeTps / measured, decodeTps / measured / n,
                stepMs / measured, prefillSeconds / measured, peakBlocks, batcher.cache().blockCount());
    }

    private static final double GIB = 1L << 30;
}
