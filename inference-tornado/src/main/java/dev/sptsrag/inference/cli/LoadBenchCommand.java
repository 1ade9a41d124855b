package dev.sptsrag.inference.cli;

import dev.sptsrag.inference.engine.BatchSettings;
import dev.sptsrag.inference.engine.ContinuousBatcher;
import dev.sptsrag.inference.engine.Generation;
import dev.sptsrag.inference.engine.GenerationRequest;
import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.engine.SamplingOptions;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.spts.SkipBudget;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.PrintWriter;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;

/**
 * {@code spts bench-load}: a serving load on the engine in-process, without HTTP: requests with random prompts of
 * lengths between {@code --prompt-min} and {@code --prompt-max} arrive as a Poisson process at each rate of
 * {@code --rates}, wait in a queue until the {@link ContinuousBatcher} has room, and run together. Per rate and skip
 * budget: requests finished per second, time to first token from arrival (queue wait included), p50 and p95. With
 * {@code --prefix-test}: instead, the time to first token of a question after a long shared context, with the
 * context's KV cache kept from an earlier question (hit) and not (miss).
 */
@Command(name = "bench-load", mixinStandardHelpOptions = true,
        description = "Measure the engine under a serving load: Poisson arrivals, continuous batching, TTFT percentiles.")
final class LoadBenchCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Option(names = "--rates", split = ",", defaultValue = "1", description = "Arrival rates, requests per second, comma-separated.")
    List<Double> rates;

    @Option(names = "--requests", defaultValue = "32", description = "Requests per rate (default ${DEFAULT-VALUE}).")
    int requests;

    @Option(names = "--prompt-min", defaultValue = "2048", description = "Shortest prompt (default ${DEFAULT-VALUE}).")
    int promptMin;

    @Option(names = "--prompt-max", defaultValue = "16384", description = "Longest prompt (default ${DEFAULT-VALUE}).")
    int promptMax;

    @Option(names = "--gen-tokens", defaultValue = "64", description = "Tokens per answer (default ${DEFAULT-VALUE}).")
    int genTokens;

    @Option(names = "--max-sequences", defaultValue = "16", description = "Requests generated together (default ${DEFAULT-VALUE}).")
    int maxSequences;

    @Option(names = "--skip", paramLabel = "BUDGET", description = "Skip budgets to compare, repeatable (default: off).")
    List<String> skips = new ArrayList<>();

    @Option(names = "--prefix-test", description = "Measure the TTFT of a question after a --prompt-max context, kept (hit) and not (miss).")
    boolean prefixTest;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of prompts and arrivals (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (requests < 1 || promptMin < 1 || promptMax < promptMin || genTokens < 1 || maxSequences < 1
                || rates.stream().anyMatch(r -> !(r > 0))) {
            throw new IllegalArgumentException("--requests, --prompt-min <= --prompt-max, --gen-tokens, --max-sequences "
                    + "and --rates must be positive");
        }
        try (LoadedModel loaded = model.open()) {
            int context = Math.max(runtime.context, promptMax + genTokens + 16);
            try (InferenceEngine engine = new InferenceEngine(loaded.config(), loaded.weights(), null,
                    runtime.createBackend(err), context, runtime.batch,
                    new BatchSettings(prefixTest ? 1 : maxSequences, 0, prefixTest),
                    new Progress(err, "loading layers", loaded.config().layerCount()))) {
                err.println("memory plan: " + engine.memoryPlan());
                if (prefixTest) {
                    prefix(engine, loaded, out, err);
                    return 0;
                }
                out.println("| model | backend | skip | rate /s | requests | prompts | finished /s | TTFT p50 s | TTFT p95 s "
                        + "| latency p50 s | mean running | preemptions |");
                out.println("|---|---|---|---|---|---|---|---|---|---|---|---|");
                warmUp(engine, loaded);
                for (String skip : skips.isEmpty() ? List.of("off") : skips) {
                    SkipBudget budget = SkipBudget.parse(skip, loaded.config());
                    for (double rate : rates) {
                        out.println(load(engine, loaded, skip, budget, rate, err));
                        out.flush();
                    }
                }
            }
        }
        return 0;
    }

    /** One short request, so that the first measured one does not pay for the JIT and the kernels' first runs. */
    private void warmUp(InferenceEngine engine, LoadedModel loaded) {
        int[] prompt = new SplittableRandom(seed - 1).ints(Math.min(promptMin, 512), 0, loaded.config().vocabSize()).toArray();
        Generation g = engine.batcher().admit(new GenerationRequest(prompt, SamplingOptions.greedy(4)), (id, text) -> true);
        while (!g.isDone()) {
            engine.batcher().step();
        }
    }

    private String load(InferenceEngine engine, LoadedModel loaded, String skip, SkipBudget budget, double rate,
                        PrintWriter err) {
        ContinuousBatcher batcher = engine.batcher();
        SplittableRandom rnd = new SplittableRandom(seed);
        int vocab = loaded.config().vocabSize();
        long[] arrival = new long[requests];
        int[][] prompts = new int[requests][];
        long t = 0;
        for (int i = 0; i < requests; i++) {
            t += (long) (-Math.log(1 - rnd.nextDouble()) / rate * 1e9);
            arrival[i] = t;
            prompts[i] = rnd.ints(promptMin + rnd.nextInt(promptMax - promptMin + 1), 0, vocab).toArray();
        }
        long[] first = new long[requests];
        long[] end = new long[requests];
        Generation[] running = new Generation[requests];
        ArrayDeque<Integer> queue = new ArrayDeque<>();
        long preemptionsBefore = batcher.preemptions();
        long start = System.nanoTime();
        int next = 0, done = 0;
        long runningSum = 0, steps = 0;
        while (done < requests) {
            long now = System.nanoTime() - start;
            while (next < requests && arrival[next] <= now) {
                queue.add(next++);
            }
            while (!queue.isEmpty() && batcher.hasRoom(prompts[queue.peek()].length)) {
                int i = queue.peek();
                Generation g = batcher.admit(new GenerationRequest(prompts[i], SamplingOptions.greedy(genTokens), budget),
                        (id, text) -> {
                            if (first[i] == 0) {
                                first[i] = System.nanoTime() - start;
                            }
                            return true;
                        });
                if (g == null) {
                    throw new IllegalStateException("request " + i + " of " + prompts[i].length
                            + " tokens not admitted although the batcher had room: " + batcher.running() + " running, "
                            + batcher.cache().freeBlocks() + " blocks free");
                }
                running[queue.poll()] = g;
            }
            if (batcher.running() == 0) {
                if (next < requests) {
                    sleepUntil(start + arrival[next]);
                }
                continue;
            }
            runningSum += batcher.running();
            steps++;
            batcher.step();
            for (int i = 0; i < next; i++) {
                if (running[i] != null && running[i].isDone() && end[i] == 0) {
                    end[i] = System.nanoTime() - start;
                    running[i].result(); // a failure ends the benchmark
                    done++;
                }
            }
        }
        engine.backend().synchronize();
        double[] ttft = new double[requests];
        double[] latency = new double[requests];
        long last = 0;
        for (int i = 0; i < requests; i++) {
            ttft[i] = (first[i] - arrival[i]) / 1e9;
            latency[i] = (end[i] - arrival[i]) / 1e9;
            last = Math.max(last, end[i]);
        }
        Arrays.sort(ttft);
        Arrays.sort(latency);
        double finished = requests / ((last - arrival[0]) / 1e9);
        err.printf("skip %s, rate %.2f/s: %d requests, %.3f finished/s, TTFT p50 %.3f s p95 %.3f s%n", skip, rate,
                requests, finished, percentile(ttft, 0.5), percentile(ttft, 0.95));
        return String.format("| %s | %s | %s | %.2f | %d | %d-%d | %.3f | %.3f | %.3f | %.3f | %.1f | %d |",
                loaded.config().name(), engine.backend().description(), skip, rate, requests, promptMin, promptMax,
                finished, percentile(ttft, 0.5), percentile(ttft, 0.95), percentile(latency, 0.5),
                steps == 0 ? 0 : (double) runningSum / steps, batcher.preemptions() - preemptionsBefore);
    }

    /** TTFT of a question after a context of {@code --prompt-max} tokens, without and then with the context kept. */
    private void prefix(InferenceEngine engine, LoadedModel loaded, PrintWriter out, PrintWriter err) {
        SplittableRandom rnd = new SplittableRandom(seed);
        int vocab = loaded.config().vocabSize();
        warmUp(engine, loaded);
        out.println("| model | backend | context | question | run | TTFT miss s | TTFT hit s | reused tokens |");
        out.println("|---|---|---|---|---|---|---|---|");
        for (int run = 0; run < 2; run++) {
            int[] context = rnd.ints(promptMax, 0, vocab).toArray();
            int[] miss = ask(context, rnd.ints(32, 0, vocab).toArray());
            int[] hit = ask(context, rnd.ints(32, 0, vocab).toArray());
            double[] t = new double[2];
            int reused = 0;
            for (int i = 0; i < 2; i++) {
                long t0 = System.nanoTime();
                long[] firstAt = new long[1];
                Generation g = engine.batcher().admit(new GenerationRequest(i == 0 ? miss : hit,
                        SamplingOptions.greedy(4)), (id, text) -> {
                    if (firstAt[0] == 0) {
                        firstAt[0] = System.nanoTime();
                    }
                    return true;
                });
                reused = g.reusedPromptTokens();
                while (!g.isDone()) {
                    engine.batcher().step();
                }
                t[i] = (firstAt[0] - t0) / 1e9;
            }
            err.printf("context %d: TTFT miss %.3f s, hit %.3f s (%d tokens reused)%n", promptMax, t[0], t[1], reused);
            out.printf("| %s | %s | %d | 32 | %d | %.3f | %.3f | %d |%n", loaded.config().name(),
                    engine.backend().description(), promptMax, run + 1, t[0], t[1], reused);
        }
    }

    private static int[] ask(int[] context, int[] question) {
        int[] prompt = Arrays.copyOf(context, context.length + question.length);
        System.arraycopy(question, 0, prompt, context.length, question.length);
        return prompt;
    }

    private static double percentile(double[] sorted, double p) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(p * sorted.length) - 1)];
    }

    private static void sleepUntil(long nanoTime) {
        long left = nanoTime - System.nanoTime();
        if (left > 0) {
            try {
                Thread.sleep(left / 1_000_000, (int) (left % 1_000_000));
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }
    }
}
