package dev.sptsrag.inference.engine;

import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.spts.SelectionCriterion;
import dev.sptsrag.inference.spts.SkipBudget;
import dev.sptsrag.inference.spts.SkipMode;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.function.Supplier;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Requests for batching tests, on any backend: prompts of several lengths (one of a single token, two longer than a
 * step), greedy and seeded sampling, full and SPTS budgets; each one's tokens alone, and all of them run together.
 */
public final class BatchScenario {
    public static final int CONTEXT = 256;

    /** Layer 0 full, layer 1 keeps 40 of the prompt's tokens, 30 candidates removed before layer 2. */
    public static final SkipBudget SKIPPING = new SkipBudget(SkipMode.SPTS, 1, new int[] {2}, new int[] {40}, 30, 2, 3,
            SelectionCriterion.SELF_PROBE, 0);

    private BatchScenario() {
    }

    public record Ask(int[] prompt, SamplingOptions sampling, SkipBudget budget) {
        public GenerationRequest request() {
            return new GenerationRequest(prompt, sampling, budget);
        }
    }

    public static List<Ask> asks(ModelConfig c) {
        SplittableRandom rnd = new SplittableRandom(17);
        int[] lengths = {7, 120, 1, 61, 150, 33};
        List<Ask> asks = new ArrayList<>();
        for (int i = 0; i < lengths.length; i++) {
            int[] prompt = rnd.ints(lengths[i], 0, c.vocabSize()).toArray();
            // Greedy; seeded sampling over all logits (a penalty needs them); seeded top-k from device candidates.
            SamplingOptions sampling = switch (i) {
                case 3 -> new SamplingOptions(10 + i, 0.9, 0, 0.95, 0, 1.1, 0, 0, 1234L + i, List.of());
                case 5 -> new SamplingOptions(10 + i, 0.8, 20, 1, 0, 1, 0, 0, 99L, List.of());
                default -> SamplingOptions.greedy(10 + i);
            };
            SkipBudget budget = i == 1 || i == 4 ? SKIPPING : SkipBudget.OFF;
            asks.add(new Ask(prompt, sampling, budget));
        }
        return asks;
    }

    /** Each ask's tokens, generated alone on a fresh backend from {@code backends}. */
    public static int[][] alone(LoadedModel m, List<Ask> asks, Supplier<Backend> backends) {
        int[][] tokens = new int[asks.size()][];
        try (InferenceEngine engine = new InferenceEngine(m.config(), m.weights(), null, backends.get(), CONTEXT, 32,
                null)) {
            for (int i = 0; i < asks.size(); i++) {
                tokens[i] = engine.generate(asks.get(i).request(), TokenListener.IGNORE).tokens();
            }
        }
        return tokens;
    }

    /**
     * Admits the asks as room allows (in order), steps until all have ended; cancels generation
     * {@code cancelled} after its third token.
     */
    public static List<Generation> runTogether(ContinuousBatcher batcher, List<Ask> asks, int cancelled) {
        List<Generation> generations = new ArrayList<>();
        int next = 0;
        int steps = 0;
        while (next < asks.size() || batcher.running() > 0) {
            while (next < asks.size()) {
                int index = next;
                int[] seen = new int[1];
                TokenListener listener = (id, text) -> ++seen[0] < 3 || index != cancelled;
                Generation g = batcher.admit(asks.get(next).request(), listener);
                if (g == null) {
                    break;
                }
                generations.add(g);
                next++;
            }
            batcher.step();
            assertTrue(++steps < 10_000, "the batch drains");
        }
        for (Generation g : generations) {
            assertTrue(g.isDone());
        }
        return generations;
    }
}
