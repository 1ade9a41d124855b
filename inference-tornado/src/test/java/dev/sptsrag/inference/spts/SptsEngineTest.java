package dev.sptsrag.inference.spts;

import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.decoder.DeviceModel;
import dev.sptsrag.inference.decoder.ForwardPass;
import dev.sptsrag.inference.decoder.KvCache;
import dev.sptsrag.inference.engine.GenerationRequest;
import dev.sptsrag.inference.engine.GenerationResult;
import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.engine.SamplingOptions;
import dev.sptsrag.inference.engine.TokenListener;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.spts.ltp.CalibrationSettings;
import dev.sptsrag.inference.spts.ltp.LowRankProxy;
import dev.sptsrag.inference.spts.ltp.ProxyCalibrator;
import dev.sptsrag.inference.testing.Float64Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** SPTS on the CPU engine: against the full pass, against an independent float64 SPTS, and under random budgets. */
class SptsEngineTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-qwen2", "tiny-mistral", "tiny-qwen3"})
    void aBudgetCoveringEveryTokenIsBitForBitTheFullPass(String preset) {
        try (LoadedModel m = LoadedModel.synthetic(preset, 3); CpuBackend backend = new CpuBackend(2)) {
            ModelConfig c = m.config();
            int n = 90;
            int[] tokens = new SplittableRandom(1).ints(n, 0, c.vocabSize()).toArray();
            DeviceModel model = DeviceModel.upload(c, m.weights(), backend, null);

            // The JIT may compile a vector reduction or a transcendental to code that rounds differently from
            // its interpreted form, so one pass can differ from the next while the JVM warms up. Both paths
            // run several times and the last round, in a settled JIT state, must agree bit for bit.
            float[] expected = new float[c.vocabSize()];
            float[] got = new float[c.vocabSize()];
            for (int round = 0; round < 8; round++) {
                fullPass(model, c, tokens, expected);
                sptsPass(model, c, tokens, got);
            }
            assertArrayEquals(expected, got, preset + ": logits differ from the full pass");
        }
    }

    private static void fullPass(DeviceModel model, ModelConfig c, int[] tokens, float[] logits) {
        int n = tokens.length;
        ForwardPass full = new ForwardPass(model, 32);
        KvCache fullCache = KvCache.forOneSequence(c, model.backend(), 128);
        for (int at = 0; at < n; at += 32) {
            int rows = Math.min(32, n - at);
            int[] positions = new int[rows];
            for (int i = 0; i < rows; i++) {
                positions[i] = at + i;
            }
            full.forward(Arrays.copyOfRange(tokens, at, at + rows), positions, rows, 0, fullCache);
        }
        full.logits(full.batchRows() - 1, logits);
    }

    /** A budget larger than the prompt: the SPTS path with every token active in every layer. */
    private static void sptsPass(DeviceModel model, ModelConfig c, int[] tokens, float[] logits) {
        SkipBudget all = new SkipBudget(SkipMode.SPTS, 1, new int[] {2}, new int[] {1000}, 500, 0, 0);
        SkipPlan plan = SkipPlan.resolve(all, c, tokens.length);
        KvCache cache = KvCache.forOneSequence(c, model.backend(), 128);
        SptsPrefill spts = new SptsPrefill(model, 128);
        spts.run(tokens, plan, cache, 0);
        ForwardPass pass = new ForwardPass(model, 1);
        pass.adoptHiddenState(spts.hiddenStates(), tokens.length - 1);
        pass.logits(0, logits);
    }

    /** With and without spans (the pooled probe scores of {@code SkipBudget.spanTokens}). */
    @ParameterizedTest
    @CsvSource({"tiny-llama, 0", "tiny-qwen2, 0", "tiny-mistral, 0", "tiny-qwen3, 0", "tiny-llama, 6", "tiny-mistral, 6"})
    void engineAgreesWithTheFloat64SptsReference(String preset, int span) {
        try (LoadedModel m = LoadedModel.synthetic(preset, 5)) {
            ModelConfig c = m.config();
            int n = 120;
            int[] prompt = new SplittableRandom(2).ints(n, 0, c.vocabSize()).toArray();
            // Layer 0 full, layer 1 skips to 40 active tokens (2 sinks, 3 recent); with 3 layers, 30
            // candidates are removed before layer 2.
            SkipBudget budget = new SkipBudget(SkipMode.SPTS, 1, new int[] {2}, new int[] {40}, 30, 2, 3,
                    SelectionCriterion.SELF_PROBE, span);
            SkipPlan plan = SkipPlan.resolve(budget, c, n);
            assertTrue(plan.skipsAny());
            int[] continuation = new SplittableRandom(3).ints(5, 0, c.vocabSize()).toArray();

            Float64Reference.SptsReference ref = new Float64Reference(c, m.weights()).spts(prompt, continuation, plan);
            try (InferenceEngine engine = new InferenceEngine(c, m.weights(), null, new CpuBackend(2), 200, 0, null)) {
                // Teacher-forced continuation through the engine: prefill under the plan, then decode each token.
                GenerationResult r = engine.generate(new GenerationRequest(prompt, SamplingOptions.greedy(1), budget),
                        TokenListener.IGNORE);
                SkipStatistics stats = r.skipStatistics();
                for (int l = 0; l < c.layerCount(); l++) {
                    assertArrayEquals(ref.attentionTokens()[l], stats.attentionTokens(l), preset + " layer " + l
                            + " attention set");
                    assertArrayEquals(ref.ffnTokens()[l], stats.ffnTokens(l), preset + " layer " + l + " FFN set");
                    assertEquals(plan.active(l), engine.cache().filled(engine.sequence(), l), "KV slots of layer " + l);
                }
                float[] logits = new float[c.vocabSize()];
                engine.lastLogits(logits);
                assertClose(ref.logits()[0], logits, preset + " after the prompt");
                for (int j = 0; j < continuation.length; j++) {
                    engine.decode(continuation[j], n + j);
                    engine.lastLogits(logits);
                    assertClose(ref.logits()[j + 1], logits, preset + " decode step " + j);
                }
            }
        }
    }

    /**
     * LTP wired in: with an exact proxy (all channels, full rank, with the down projection) the FFN rows
     * are the top-M of {@code ||FFN(x)|| · S_MHA}, as the float64 reference computes with the true FFN.
     */
    @Test
    void anExactLtpProxyChoosesTheFfnRowsTheTrueFfnNormWould() {
        try (LoadedModel m = LoadedModel.synthetic("tiny-llama", 5); CpuBackend calibrationBackend = new CpuBackend(2)) {
            ModelConfig c = m.config();
            var settings = CalibrationSettings.paperDefaults(c).withChannels(c.intermediateSize()).withRank(c.hiddenSize());
            DeviceModel calibrationModel = DeviceModel.upload(c, m.weights(), calibrationBackend, null);
            LowRankProxy proxy = new ProxyCalibrator(settings).calibrate(m.weights(), calibrationModel,
                    java.util.List.of(new SplittableRandom(8).ints(64, 0, c.vocabSize()).toArray()),
                    ProxyCalibrator.Listener.NONE);

            int n = 120;
            int[] prompt = new SplittableRandom(2).ints(n, 0, c.vocabSize()).toArray();
            SkipBudget budget = new SkipBudget(SkipMode.SPTS, 1, new int[] {2}, new int[] {40}, 30, 0, 0);
            SkipPlan plan = SkipPlan.resolve(budget, c, n);
            Float64Reference.SptsReference ref = new Float64Reference(c, m.weights()).spts(prompt, new int[0], plan, true);
            try (InferenceEngine engine = new InferenceEngine(c, m.weights(), null, new CpuBackend(2), 200, 0, null)) {
                engine.useLowRankProxy(proxy);
                SkipStatistics stats = engine.generate(new GenerationRequest(prompt, SamplingOptions.greedy(1), budget),
                        TokenListener.IGNORE).skipStatistics();
                int differing = 0;
                for (int l = 0; l < c.layerCount(); l++) {
                    assertArrayEquals(ref.attentionTokens()[l], stats.attentionTokens(l), "layer " + l + " attention set");
                    int[] expected = ref.ffnTokens()[l];
                    for (int t : stats.ffnTokens(l)) {
                        if (Arrays.binarySearch(expected, t) < 0) {
                            differing++;
                        }
                    }
                }
                // The proxy's SVD is exact to float rounding: at most a near-tie may swap.
                assertTrue(differing <= 1, differing + " FFN rows differ from the exact ranking");
                float[] logits = new float[c.vocabSize()];
                engine.lastLogits(logits);
                if (differing == 0) {
                    assertClose(ref.logits()[0], logits, "after the prompt with LTP");
                }
            }
        }
    }

    @Test
    void randomBudgetsAndLengthsKeepTheLastTokenAndTheKvPlan() {
        try (LoadedModel m = LoadedModel.synthetic("tiny-llama", 9);
             InferenceEngine engine = new InferenceEngine(m.config(), m.weights(), null, new CpuBackend(2), 300, 0, null)) {
            ModelConfig c = m.config();
            SplittableRandom rnd = new SplittableRandom(77);
            for (int trial = 0; trial < 60; trial++) {
                int n = 1 + rnd.nextInt(250);
                int start = rnd.nextInt(c.layerCount());
                int stages = 1 + rnd.nextInt(3);
                int[] boundaries = new int[stages];
                int[] budgets = new int[stages];
                int b = start;
                for (int s = 0; s < stages; s++) {
                    b += 1 + rnd.nextInt(2); // boundaries past the last layer are allowed and never reached
                    boundaries[s] = b;
                    budgets[s] = 4 + rnd.nextInt(200);
                }
                SkipMode mode = SkipMode.values()[1 + rnd.nextInt(3)];
                SkipBudget budget = new SkipBudget(mode, start, boundaries, budgets, rnd.nextInt(60), rnd.nextInt(2),
                        rnd.nextInt(2));
                int[] prompt = rnd.ints(n, 0, c.vocabSize()).toArray();
                GenerationResult r = engine.generate(new GenerationRequest(prompt, SamplingOptions.greedy(3), budget),
                        TokenListener.IGNORE);
                SkipPlan plan = SkipPlan.resolve(budget, c, n);
                assertEquals(3, r.tokens().length);
                for (int l = 0; l < c.layerCount(); l++) {
                    assertEquals(plan.active(l) + 2, engine.cache().filled(engine.sequence(), l), "trial " + trial + " layer " + l
                            + ": KV slots = active tokens + decoded tokens");
                    if (r.skipStatistics() != null) {
                        int[] att = r.skipStatistics().attentionTokens(l);
                        assertEquals(n - 1, att[att.length - 1], "the last token is active in layer " + l);
                        int[] ffn = r.skipStatistics().ffnTokens(l);
                        assertEquals(n - 1, ffn[ffn.length - 1], "the last token's FFN runs in layer " + l);
                    }
                }
            }
        }
    }

    private static void assertClose(double[] ref, float[] got, String what) {
        double max = 0, diff = 0;
        for (int i = 0; i < ref.length; i++) {
            max = Math.max(max, Math.abs(ref[i]));
            diff = Math.max(diff, Math.abs(ref[i] - got[i]));
        }
        assertTrue(diff <= 1e-4 * max, what + ": max|Δ| " + diff + " vs max|ref| " + max);
    }
}
