package dev.sptsrag.inference.engine;

import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.spts.SelectionCriterion;
import dev.sptsrag.inference.spts.SkipBudget;
import dev.sptsrag.inference.spts.SkipMode;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Generations run together give each one exactly the tokens it gets alone: mixed skip budgets (an SPTS prefill
 * next to full ones), greedy and seeded sampling, prompts chunked across steps while others decode, generations
 * preempted for blocks and fed again, and a cancellation in the middle.
 */
class ContinuousBatcherTest {
    private static final int CONTEXT = 256;

    /** Layer 0 full, layer 1 keeps 40 of the prompt's tokens, 30 candidates removed before layer 2. */
    private static final SkipBudget SKIPPING = new SkipBudget(SkipMode.SPTS, 1, new int[] {2}, new int[] {40}, 30, 2, 3,
            SelectionCriterion.SELF_PROBE, 0);

    private record Ask(int[] prompt, SamplingOptions sampling, SkipBudget budget) {
        GenerationRequest request() {
            return new GenerationRequest(prompt, sampling, budget);
        }
    }

    private static List<Ask> asks(ModelConfig c) {
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

    private static int[][] alone(LoadedModel m, List<Ask> asks) {
        int[][] tokens = new int[asks.size()][];
        try (InferenceEngine engine = new InferenceEngine(m.config(), m.weights(), null, new CpuBackend(2), CONTEXT, 32,
                null)) {
            for (int i = 0; i < asks.size(); i++) {
                tokens[i] = engine.generate(asks.get(i).request(), TokenListener.IGNORE).tokens();
            }
        }
        return tokens;
    }

    @Test
    void aBatchOfMixedBudgetsGivesEveryGenerationTheTokensItGetsAlone() {
        try (LoadedModel m = LoadedModel.synthetic("tiny-llama", 5)) {
            List<Ask> asks = asks(m.config());
            int[][] expected = alone(m, asks);
            try (InferenceEngine engine = new InferenceEngine(m.config(), m.weights(), null, new CpuBackend(2), CONTEXT,
                    32, new BatchSettings(4, 0, false), null)) {
                ContinuousBatcher batcher = engine.batcher();
                List<Generation> generations = runTogether(batcher, asks, -1);
                for (int i = 0; i < asks.size(); i++) {
                    GenerationResult r = generations.get(i).result();
                    assertArrayEquals(expected[i], r.tokens(), "generation " + i + " (" + asks.get(i).budget().mode() + ")");
                    assertEquals(asks.get(i).budget() != SkipBudget.OFF, r.skipStatistics() != null, "generation " + i);
                }
                assertEquals(engine.cache().blockCount(), engine.cache().freeBlocks(), "every block back in the pool");
                assertEquals(0, batcher.running());
            }
        }
    }

    @Test
    void generationsPreemptedForBlocksResumeWithTheSameTokens() {
        try (LoadedModel m = LoadedModel.synthetic("tiny-llama", 5)) {
            List<Ask> asks = new ArrayList<>();
            for (Ask a : asks(m.config())) { // full budgets (a preempted generation is fed again densely), long answers
                asks.add(new Ask(a.prompt(), a.sampling().withMaxTokens(90), SkipBudget.OFF));
            }
            int[][] expected = alone(m, asks);
            // A pool of 300 tokens per layer for 4 sequences of up to 256: they cannot all grow at once.
            try (InferenceEngine engine = new InferenceEngine(m.config(), m.weights(), null, new CpuBackend(2), CONTEXT,
                    32, new BatchSettings(4, 300, false), null)) {
                ContinuousBatcher batcher = engine.batcher();
                List<Generation> generations = runTogether(batcher, asks, -1);
                for (int i = 0; i < asks.size(); i++) {
                    assertArrayEquals(expected[i], generations.get(i).result().tokens(), "generation " + i);
                }
                assertTrue(batcher.preemptions() > 0, "the pool was too small for everyone: someone was preempted");
                assertEquals(engine.cache().blockCount(), engine.cache().freeBlocks());
            }
        }
    }

    @Test
    void aCancelledGenerationLeavesAtOnceAndTheOthersAreUnchanged() {
        try (LoadedModel m = LoadedModel.synthetic("tiny-llama", 5)) {
            List<Ask> asks = asks(m.config());
            int[][] expected = alone(m, asks);
            try (InferenceEngine engine = new InferenceEngine(m.config(), m.weights(), null, new CpuBackend(2), CONTEXT,
                    32, new BatchSettings(4, 0, false), null)) {
                List<Generation> generations = runTogether(engine.batcher(), asks, 2);
                for (int i = 0; i < asks.size(); i++) {
                    GenerationResult r = generations.get(i).result();
                    if (i == 2) {
                        assertEquals(FinishReason.CANCELLED, r.finishReason());
                        assertTrue(r.tokens().length < expected[i].length, "stopped early");
                        assertArrayEquals(Arrays.copyOf(expected[i], r.tokens().length), r.tokens());
                    } else {
                        assertArrayEquals(expected[i], r.tokens(), "generation " + i);
                    }
                }
                assertEquals(engine.cache().blockCount(), engine.cache().freeBlocks());
            }
        }
    }

    @Test
    void admissionWaitsForAFreeSequenceAndForBlocks() {
        try (LoadedModel m = LoadedModel.synthetic("tiny-llama", 5)) {
            ModelConfig c = m.config();
            try (InferenceEngine engine = new InferenceEngine(c, m.weights(), null, new CpuBackend(2), CONTEXT, 32,
                    new BatchSettings(2, 200, false), null)) {
                ContinuousBatcher batcher = engine.batcher();
                int[] prompt = new SplittableRandom(3).ints(150, 0, c.vocabSize()).toArray();
                GenerationRequest big = new GenerationRequest(prompt, SamplingOptions.greedy(4));
                assertNotNull(batcher.admit(big, TokenListener.IGNORE));
                assertNull(batcher.admit(big, TokenListener.IGNORE), "200 tokens of blocks hold one 150-token prompt");
                GenerationRequest small = new GenerationRequest(Arrays.copyOf(prompt, 10), SamplingOptions.greedy(4));
                assertNotNull(batcher.admit(small, TokenListener.IGNORE));
                assertNull(batcher.admit(small, TokenListener.IGNORE), "two sequences at most");
                while (batcher.step()) {
                    if (batcher.running() == 0) {
                        break;
                    }
                }
                assertNotNull(batcher.admit(big, TokenListener.IGNORE), "room again once they ended");
            }
        }
    }

    /**
     * A prompt that starts with a kept prefix takes its blocks instead of computing them and answers exactly what
     * it answers without the cache; a prompt with a skip budget neither takes nor gives; when the pool runs short,
     * kept prefixes no sequence holds give their blocks back.
     */
    @Test
    void aPrefixHitSkipsItsPrefillAndChangesNoAnswer() {
        try (LoadedModel m = LoadedModel.synthetic("tiny-llama", 5)) {
            ModelConfig c = m.config();
            SplittableRandom rnd = new SplittableRandom(23);
            int[] shared = rnd.ints(100, 0, c.vocabSize()).toArray(); // a system prompt and retrieved documents
            List<Ask> asks = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int[] prompt = Arrays.copyOf(shared, 100 + 7 + i);
                for (int j = 100; j < prompt.length; j++) {
                    prompt[j] = rnd.nextInt(c.vocabSize()); // each its own question
                }
                asks.add(new Ask(prompt, SamplingOptions.greedy(12), i == 2 ? SKIPPING : SkipBudget.OFF));
            }
            int[][] expected = alone(m, asks);
            try (InferenceEngine engine = new InferenceEngine(c, m.weights(), null, new CpuBackend(2), CONTEXT, 32,
                    new BatchSettings(2, 0, true), null)) {
                ContinuousBatcher batcher = engine.batcher();
                int[] reused = new int[asks.size()];
                for (int i = 0; i < asks.size(); i++) {
                    Generation g = batcher.admit(asks.get(i).request(), TokenListener.IGNORE);
                    reused[i] = g.reusedPromptTokens();
                    while (!g.isDone()) {
                        batcher.step();
                    }
                    assertArrayEquals(expected[i], g.result().tokens(), "generation " + i);
                }
                assertEquals(0, reused[0], "nothing kept yet");
                assertEquals(96, reused[1], "the six full blocks of the shared 100 tokens");
                assertEquals(0, reused[2], "a skip budget does not reuse");
                assertEquals(96, batcher.prefixTokensReused());
            }
            // A pool of 10 blocks per layer: each 150-token prompt keeps 9, the next one needs them back.
            List<Ask> distinct = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                distinct.add(new Ask(rnd.ints(150, 0, c.vocabSize()).toArray(), SamplingOptions.greedy(6), SkipBudget.OFF));
            }
            int[][] expectedDistinct = alone(m, distinct);
            try (InferenceEngine engine = new InferenceEngine(c, m.weights(), null, new CpuBackend(2), CONTEXT, 32,
                    new BatchSettings(1, 160, true), null)) {
                ContinuousBatcher batcher = engine.batcher();
                for (int i = 0; i < distinct.size(); i++) {
                    Generation g = batcher.admit(distinct.get(i).request(), TokenListener.IGNORE);
                    assertNotNull(g, "kept prefixes make room for prompt " + i);
                    while (!g.isDone()) {
                        batcher.step();
                    }
                    assertArrayEquals(expectedDistinct[i], g.result().tokens(), "prompt " + i);
                }
            }
        }
    }

    /**
     * Admits the asks as room allows (in order), steps until all have ended; cancels generation
     * {@code cancelled} after its third token.
     */
    private static List<Generation> runTogether(ContinuousBatcher batcher, List<Ask> asks, int cancelled) {
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
