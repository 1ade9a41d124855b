package dev.sptsrag.inference.cli;

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
            // No tokenizer: the engine then never stops at an end-of-text token.
            try (InferenceEngine engine = new InferenceEngine(loaded.config(), loaded.weights(), null,
                    runtime.createBackend(err), context, runtime.batch,
                    new Progress(err, "loading layers", loaded.config().layerCount()))) {
                LowRankProxyOption.apply(ltp, loaded, engine, err);
                double loadSeconds = (System.nanoTime() - t0) / 1e9;
                err.println("memory plan: " + engine.memoryPlan());
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

    private static final double GIB = 1L << 30;
}
