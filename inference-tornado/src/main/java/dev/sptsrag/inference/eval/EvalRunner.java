package dev.sptsrag.inference.eval;

import dev.sptsrag.inference.decoder.PrefillFlops;
import dev.sptsrag.inference.engine.GenerationRequest;
import dev.sptsrag.inference.engine.GenerationResult;
import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.engine.SamplingOptions;
import dev.sptsrag.inference.engine.TokenListener;
import dev.sptsrag.inference.spts.SkipBudget;
import dev.sptsrag.inference.spts.SkipStatistics;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;

/**
 * Runs task samples through an engine under several modes and scores the answers. Every sample runs in
 * every mode before the next sample starts, so the modes are compared on the same prompts and under
 * the same machine conditions (paired). Decoding is greedy, up to {@link Settings#maxNewTokens} tokens,
 * ending at the model's end of turn.
 *
 * <p>In a test: {@code new EvalRunner(engine, PromptFormat.of(model), Settings.DEFAULT).run(samples,
 * List.of(EvalMode.FULL, EvalMode.SPTS), SkipBudget.preset("demo", model.config()), Listener.NONE)
 * .cell("niah_single", 2048, EvalMode.SPTS).accuracy()}.
 */
public final class EvalRunner {

    /**
     * @param maxNewTokens tokens each answer may take
     * @param warmupRuns   untimed runs of the first sample in every mode before measuring (JIT, GPU kernels)
     */
    public record Settings(int maxNewTokens, int warmupRuns) {
        public static final Settings DEFAULT = new Settings(32, 1);

        public Settings {
            if (maxNewTokens < 1) {
                throw new IllegalArgumentException("max new tokens must be >= 1, was " + maxNewTokens);
            }
            if (warmupRuns < 0) {
                throw new IllegalArgumentException("warm-up runs must be >= 0, was " + warmupRuns);
            }
        }
    }

    /** Hears about each sample once every mode has run it. */
    public interface Listener {
        Listener NONE = (index, total, results) -> { };

        void sampleDone(int index, int total, List<SampleResult> results);
    }

    private final InferenceEngine engine;
    private final PromptFormat format;
    private final Settings settings;

    public EvalRunner(InferenceEngine engine, PromptFormat format, Settings settings) {
        this.engine = engine;
        this.format = format;
        this.settings = settings;
    }

    /**
     * @param preset the skip preset whose layers and budgets every skipping mode uses
     * @throws IllegalArgumentException when a prompt and its answer do not fit the engine's context
     */
    public EvalReport run(List<TaskSample> samples, List<EvalMode> modes, SkipBudget preset, Listener listener) {
        if (samples.isEmpty() || modes.isEmpty()) {
            throw new IllegalArgumentException("evaluation needs at least one sample and one mode");
        }
        if (modes.stream().distinct().count() != modes.size()) {
            throw new IllegalArgumentException("each mode once: " + modes);
        }
        Map<EvalMode, SkipBudget> budgets = new EnumMap<>(EvalMode.class);
        for (EvalMode m : modes) {
            budgets.put(m, m.budget(preset)); // invalid combinations fail here, before any work
        }
        List<int[]> prompts = new ArrayList<>(samples.size());
        for (int i = 0; i < samples.size(); i++) {
            int[] tokens = format.tokens(samples.get(i));
            if (tokens.length + settings.maxNewTokens() > engine.contextLength()) {
                TaskSample s = samples.get(i);
                throw new IllegalArgumentException("sample " + i + " (" + s.task() + ", length " + s.length() + "): "
                        + tokens.length + " prompt tokens + " + settings.maxNewTokens() + " new tokens exceed the "
                        + "engine's context of " + engine.contextLength());
            }
            prompts.add(tokens);
        }
        SamplingOptions greedy = SamplingOptions.greedy(settings.maxNewTokens());
        for (int w = 0; w < settings.warmupRuns(); w++) {
            for (EvalMode m : modes) {
                engine.generate(new GenerationRequest(prompts.getFirst(), greedy, budgets.get(m)), TokenListener.IGNORE);
            }
        }
        List<SampleResult> results = new ArrayList<>(samples.size() * modes.size());
        for (int i = 0; i < samples.size(); i++) {
            TaskSample s = samples.get(i);
            int[] prompt = prompts.get(i);
            PrefillFlops full = PrefillFlops.full(engine.config(), prompt.length);
            List<SampleResult> row = new ArrayList<>(modes.size());
            for (EvalMode m : modes) {
                GenerationResult r = engine.generate(new GenerationRequest(prompt, greedy, budgets.get(m)),
                        TokenListener.IGNORE);
                SkipStatistics stats = r.skipStatistics();
                int[] attention = stats != null ? stats.attentionActive() : filled(engine.config().layerCount(), prompt.length);
                PrefillFlops flops = r.prefillFlops() != null ? r.prefillFlops() : full;
                row.add(new SampleResult(i, s.task(), s.length(), m, prompt.length, r.text(),
                        StringMatch.all(r.text(), s.answers()), r.metrics().timeToFirstTokenNanos(), flops, full, attention,
                        stats != null ? stats.kvFraction() : 1));
            }
            results.addAll(row);
            listener.sampleDone(i, samples.size(), row);
        }
        return new EvalReport(modes, engine.config().layerCount(), results);
    }

    private static int[] filled(int n, int value) {
        int[] a = new int[n];
        Arrays.fill(a, value);
        return a;
    }
}
