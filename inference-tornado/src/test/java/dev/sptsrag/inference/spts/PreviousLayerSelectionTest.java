package dev.sptsrag.inference.spts;

import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.engine.GenerationRequest;
import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.engine.SamplingOptions;
import dev.sptsrag.inference.engine.TokenListener;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.testing.Float64Reference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The LazyLLM-style baseline: a skipping layer keeps the top-M tokens of the previous layer's last-token
 * attention. The expected sets come from the float64 reference, which computes every layer's last-token
 * attention itself (it shares no code with the engine).
 */
class PreviousLayerSelectionTest {

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama", "tiny-qwen2", "tiny-mistral"})
    void eachSkippingLayerKeepsTheTopOfThePreviousLayersAttention(String preset) {
        try (LoadedModel m = LoadedModel.synthetic(preset, 5)) {
            ModelConfig c = m.config();
            int n = 120;
            int[] prompt = new SplittableRandom(2).ints(n, 0, c.vocabSize()).toArray();
            // 16 active tokens: fewer than tiny-mistral's window (24), so the choice is not all in-window tokens.
            SkipBudget budget = new SkipBudget(SkipMode.SPTS, 1, new int[] {2}, new int[] {16}, 30, 0, 0,
                    SelectionCriterion.PREVIOUS_LAYER);
            SkipPlan plan = SkipPlan.resolve(budget, c, n);
            assertTrue(plan.skips(1));
            Float64Reference.SptsReference ref = new Float64Reference(c, m.weights()).spts(prompt, new int[0], plan);
            SkipBudget self = budget.withCriterion(SelectionCriterion.SELF_PROBE);
            try (InferenceEngine engine = new InferenceEngine(c, m.weights(), null, new CpuBackend(2), 200, 0, null)) {
                SkipStatistics prev = engine.generate(new GenerationRequest(prompt, SamplingOptions.greedy(1), budget),
                        TokenListener.IGNORE).skipStatistics();
                SkipStatistics own = engine.generate(new GenerationRequest(prompt, SamplingOptions.greedy(1), self),
                        TokenListener.IGNORE).skipStatistics();
                boolean differs = false;
                for (int l = 0; l < c.layerCount(); l++) {
                    assertArrayEquals(ref.attentionTokens()[l], prev.attentionTokens(l), preset + " layer " + l);
                    assertArrayEquals(prev.attentionTokens(l), prev.ffnTokens(l),
                            "the baseline computes a token in the whole block: layer " + l);
                    assertEquals(plan.active(l), engine.cache().filled(engine.sequence(), l), "KV slots of layer " + l);
                    differs |= !Arrays.equals(prev.attentionTokens(l), own.attentionTokens(l));
                }
                assertTrue(differs, "the previous layer's choice should differ from the self-probe somewhere");
            }
        }
    }

    @Test
    void layerOneIsTheTopOfLayerZerosAttentionWithPapKeepingEveryFfnRow() {
        try (LoadedModel m = LoadedModel.synthetic("tiny-llama", 7)) {
            ModelConfig c = m.config();
            int n = 90;
            int[] prompt = new SplittableRandom(4).ints(n, 0, c.vocabSize()).toArray();
            SkipBudget budget = new SkipBudget(SkipMode.PAP, 1, new int[] {3}, new int[] {25}, 0, 1, 2,
                    SelectionCriterion.PREVIOUS_LAYER);
            SkipPlan plan = SkipPlan.resolve(budget, c, n);
            Float64Reference.SptsReference ref = new Float64Reference(c, m.weights()).spts(prompt, new int[0], plan);
            try (InferenceEngine engine = new InferenceEngine(c, m.weights(), null, new CpuBackend(2), 128, 0, null)) {
                SkipStatistics s = engine.generate(new GenerationRequest(prompt, SamplingOptions.greedy(1), budget),
                        TokenListener.IGNORE).skipStatistics();
                for (int l = 0; l < c.layerCount(); l++) {
                    assertArrayEquals(ref.attentionTokens()[l], s.attentionTokens(l), "layer " + l);
                    assertEquals(n, s.ffnTokens(l).length, "PAP runs the FFN on every candidate, layer " + l);
                }
                assertEquals(25, s.attentionTokens(2).length);
                assertEquals(0, s.attentionTokens(1)[0], "the sink token is kept");
            }
        }
    }

    @Test
    void theCriterionTravelsInJsonAndPresetsAndNeedsAPreviousLayer() {
        ModelConfig c = dev.sptsrag.inference.model.ModelPresets.get("tiny-llama");
        SkipBudget b = SkipBudget.preset("demo:prev-layer", c);
        assertEquals(SelectionCriterion.PREVIOUS_LAYER, b.criterion());
        assertEquals(SkipMode.SPTS, b.mode());
        assertEquals(b, SkipBudget.parse(b.toJson(), c));
        assertEquals(SelectionCriterion.SELF_PROBE, SkipBudget.parse("{\"mode\":\"PAP\",\"startLayer\":1,"
                + "\"boundaries\":[2],\"stageBudgets\":[8]}", c).criterion());
        var e = assertThrows(IllegalArgumentException.class, () -> new SkipBudget(SkipMode.SPTS, 0, new int[] {2},
                new int[] {8}, 0, 0, 0, SelectionCriterion.PREVIOUS_LAYER));
        assertTrue(e.getMessage().contains("startLayer >= 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SkipBudget.parse("{\"mode\":\"SPTS\",\"startLayer\":1,"
                + "\"boundaries\":[2],\"stageBudgets\":[8],\"criterion\":\"oracle\"}", c));
        assertTrue(e.getMessage().contains("unknown criterion"), e.getMessage());
    }
}
