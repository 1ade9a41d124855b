package dev.sptsrag.inference.engine;

import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.spts.SkipBudget;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

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
    private static final int CONTEXT = BatchScenario.CONTEXT;
    private static final SkipBudget SKIPPING = BatchScenario.SKIPPING;

    private static List<BatchScenario.Ask> asks(ModelConfig c) {
        return BatchScenario.asks(c);
    }

    private static int[][] alone(LoadedModel m, List<BatchScenario.Ask> asks) {
        return BatchScenario.alone(m, asks, () -> new CpuBackend(2));
    }

    private static List<Generation> runTogether(ContinuousBatcher batcher, List<BatchScenario.Ask> asks, int cancelled) {
        return BatchScenario.runTogether(batcher, asks, cancelled);
    }

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-qwen2-hd64", "tiny-qwen3"})
    void aBatchOfMixedBudgetsGivesEveryGenerationTheTokensItGetsAlone(String preset) {
        try (LoadedModel m = LoadedModel.synthetic(preset, 5)) {
            List<BatchScenario.Ask> asks = asks(m.config());
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

    /** 300 tokens per layer for 4 sequences of up to 256; 256 is the least a pool holds (one full context). */
    @ParameterizedTest
    @ValueSource(ints = {300, 256})
    void generationsPreemptedForBlocksResumeWithTheSameTokens(int poolTokens) {
        try (LoadedModel m = LoadedModel.synthetic("tiny-llama", 5)) {
            List<BatchScenario.Ask> asks = new ArrayList<>();
            for (BatchScenario.Ask a : asks(m.config())) { // full budgets (a preempted generation is fed again densely), long answers
                asks.add(new BatchScenario.Ask(a.prompt(), a.sampling().withMaxTokens(90), SkipBudget.OFF));
            }
            int[][] expected = alone(m, asks);
            // They cannot all grow at once: several are preempted, some while others are being fed again.
            try (InferenceEngine engine = new InferenceEngine(m.config(), m.weights(), null, new CpuBackend(2), CONTEXT,
                    32, new BatchSettings(4, poolTokens, false), null)) {
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
            List<BatchScenario.Ask> asks = asks(m.config());
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
            List<BatchScenario.Ask> asks = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                int[] prompt = Arrays.copyOf(shared, 100 + 7 + i);
                for (int j = 100; j < prompt.length; j++) {
                    prompt[j] = rnd.nextInt(c.vocabSize()); // each its own question
                }
                asks.add(new BatchScenario.Ask(prompt, SamplingOptions.greedy(12), i == 2 ? SKIPPING : SkipBudget.OFF));
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
            List<BatchScenario.Ask> distinct = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                distinct.add(new BatchScenario.Ask(rnd.ints(150, 0, c.vocabSize()).toArray(), SamplingOptions.greedy(6), SkipBudget.OFF));
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

}
