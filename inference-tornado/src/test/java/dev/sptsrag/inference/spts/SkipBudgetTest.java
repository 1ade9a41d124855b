package dev.sptsrag.inference.spts;

import dev.sptsrag.inference.model.ModelPresets;
import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SkipBudgetTest {

    @Test
    void paperPresetsOnTheirOwnModels() {
        SkipBudget llama = SkipBudget.preset("default", ModelPresets.get("llama-3.1-8b"));
        assertEquals(SkipBudget.LLAMA_3_1_8B, llama);
        assertArrayEquals(new int[] {13, 18, 23, 28}, llama.boundaries());
        assertArrayEquals(new int[] {9216, 7168, 4096, 2048}, llama.stageBudgets());
        SkipBudget qwen = SkipBudget.preset("default", ModelPresets.get("qwen2.5-7b"));
        assertEquals(SkipBudget.QWEN_2_5_7B, qwen);
        assertEquals(SkipMode.PAP, SkipBudget.preset("llama:pap", ModelPresets.get("llama-3.1-8b")).mode());
        assertEquals(SkipBudget.OFF, SkipBudget.preset("off", ModelPresets.get("llama-3.1-8b")));
    }

    @Test
    void scalingMovesLayersInProportionAndKeepsTokenBudgets() {
        SkipBudget b = SkipBudget.preset("llama", ModelPresets.get("llama-3.2-1b")); // 16 layers
        assertEquals(5, b.startLayer());
        assertArrayEquals(new int[] {7, 9, 12, 14}, b.boundaries());
        assertArrayEquals(SkipBudget.LLAMA_3_1_8B.stageBudgets(), b.stageBudgets());
        SkipBudget tiny = SkipBudget.LLAMA_3_1_8B.scaledTo(32, 3);
        assertTrue(tiny.startLayer() < 3);
        for (int boundary : tiny.boundaries()) {
            assertTrue(boundary > tiny.startLayer());
        }
    }

    @Test
    void spansTravelThroughJsonAndOutOfRangeSpansAreRefused() {
        var config = ModelPresets.get("llama-3.2-1b");
        SkipBudget b = SkipBudget.parse("{\"mode\":\"PAP\",\"startLayer\":7,\"boundaries\":[8],\"stageBudgets\":[512],"
                + "\"spanTokens\":12}", config);
        assertEquals(12, b.spanTokens());
        assertEquals(b, SkipBudget.parse(b.toJson(), config));
        assertEquals(b.withMode(SkipMode.SPTS).spanTokens(), 12, "copies keep the span");
        assertEquals(0, SkipBudget.preset("llama", config).spanTokens(), "the paper's presets use no spans");
        assertEquals(SkipBudget.DEMO_SPAN_TOKENS, SkipBudget.preset("demo", config).spanTokens(),
                "the demo model was trained with spans");
        var e = assertThrows(IllegalArgumentException.class, () -> SkipBudget.parse(
                "{\"mode\":\"PAP\",\"startLayer\":7,\"boundaries\":[8],\"stageBudgets\":[512],\"spanTokens\":-1}", config));
        assertTrue(e.getMessage().contains("spanTokens"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new SkipBudget(SkipMode.PAP, 7, new int[] {8}, new int[] {512}, 0,
                0, 0, SelectionCriterion.SELF_PROBE, SkipBudget.MAX_SPAN_TOKENS + 1));
    }

    @Test
    void integersBeyondIntAreRefusedNeverWrapped() {
        var config = ModelPresets.get("llama-3.2-1b");
        // 4294967297 = 2^32 + 1: a cast to int would read it as 1, a valid start layer.
        for (String json : new String[] {
                "{\"mode\":\"SPTS\",\"startLayer\":4294967297,\"boundaries\":[8],\"stageBudgets\":[64]}",
                "{\"mode\":\"SPTS\",\"startLayer\":4,\"boundaries\":[4294967298],\"stageBudgets\":[64]}",
                "{\"mode\":\"SPTS\",\"startLayer\":4,\"boundaries\":[8],\"stageBudgets\":[1e300]}",
                "{\"mode\":\"SPTS\",\"startLayer\":4,\"boundaries\":[8],\"stageBudgets\":[64],\"sinkTokens\":-4294967295}"}) {
            var e = assertThrows(IllegalArgumentException.class, () -> SkipBudget.parse(json, config), json);
            assertTrue(e.getMessage().startsWith("skip budget"), e.getMessage());
        }
    }

    @Test
    void poolingGivesEachCandidateTheBestScoreOfTheSpanBeforeIt() {
        float[] s = {0.1f, 0.9f, 0.2f, 0.3f, 0.05f, 0.6f, 0.0f};
        SptsPrefill.poolSpans(s, 6, 2); // the last entry is past count and stays
        assertArrayEquals(new float[] {0.1f, 0.9f, 0.9f, 0.9f, 0.3f, 0.6f, 0.0f}, s);
    }

    @Test
    void invalidBudgetsNameTheFieldAndWhy() {
        var e = assertThrows(IllegalArgumentException.class,
                () -> new SkipBudget(SkipMode.SPTS, 4, new int[] {6, 5}, new int[] {100, 50}, 10, 0, 0));
        assertTrue(e.getMessage().contains("boundaries"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new SkipBudget(SkipMode.SPTS, 4, new int[] {6}, new int[] {0}, 10, 0, 0));
        assertTrue(e.getMessage().contains("stageBudgets[0]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new SkipBudget(SkipMode.PAP, 4, new int[] {6, 8}, new int[] {100}, 0, 0, 0));
        assertTrue(e.getMessage().contains("one stage budget per boundary"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> new SkipBudget(SkipMode.PAP, 1, new int[] {2}, new int[] {8}, 0, 4, 4));
        assertTrue(e.getMessage().contains("sinkTokens + recentTokens"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> SkipBudget.preset("mistral", ModelPresets.get("tiny-llama")));
        assertTrue(e.getMessage().contains("unknown skip preset"), e.getMessage());
    }

    @Test
    void invalidBudgetsCarryTheFieldAtFault() {
        assertEquals("boundaries[1]", assertThrows(InvalidSkipBudgetException.class,
                () -> new SkipBudget(SkipMode.SPTS, 4, new int[] {6, 5}, new int[] {100, 50}, 10, 0, 0)).field());
        assertEquals("stageBudgets[1]", assertThrows(InvalidSkipBudgetException.class,
                () -> new SkipBudget(SkipMode.SPTS, 4, new int[] {6, 8}, new int[] {100, -1}, 10, 0, 0)).field());
        assertEquals("mode", assertThrows(InvalidSkipBudgetException.class,
                () -> new SkipBudget(null, 4, new int[] {6}, new int[] {100}, 10, 0, 0)).field());
        assertEquals("startLayer", assertThrows(InvalidSkipBudgetException.class, () -> SkipPlan.resolve(
                new SkipBudget(SkipMode.PAP, 40, new int[] {41}, new int[] {8}, 0, 0, 0), layers(8), 100)).field());
    }

    @Test
    void aPlanSaysWhyItSkipsNothing() {
        var config = layers(8);
        SkipBudget demo = SkipBudget.preset("demo", config); // stages of 896, 704 and 512 tokens
        assertEquals(java.util.Optional.empty(), SkipPlan.resolve(demo, config, 513).skipsNothingBecause());
        String why = SkipPlan.resolve(demo, config, 512).skipsNothingBecause().orElseThrow();
        assertTrue(why.contains("prompt (512 tokens)") && why.contains("smallest is 512"), why);
        // A stage that starts past the model's last layer never runs, so its budget is not the reason.
        SkipBudget deep = new SkipBudget(SkipMode.SPTS, 2, new int[] {6, 10, 20}, new int[] {1000, 900, 10}, 0, 0, 0);
        why = SkipPlan.resolve(deep, config, 850).skipsNothingBecause().orElseThrow();
        assertTrue(why.contains("smallest is 900"), why);
        assertEquals("the budget's mode is FULL", SkipPlan.resolve(SkipBudget.OFF, config, 4000).skipsNothingBecause()
                .orElseThrow());
    }

    @Test
    void planFollowsThePaperAt32kAndSkipsNothingForShortInputs() {
        var config = ModelPresets.get("llama-3.1-8b");
        SkipPlan plan = SkipPlan.resolve(SkipBudget.LLAMA_3_1_8B, config, 32768);
        assertEquals(32768, plan.active(9));
        assertEquals(9216, plan.active(10));
        assertEquals(1024, plan.removedBefore(13));
        assertEquals(32768 - 1024, plan.candidates(13));
        assertEquals(7168, plan.active(13));
        assertEquals(2048, plan.active(31));
        assertEquals(32768 - 4 * 1024, plan.candidates(31));
        assertTrue(plan.probes(12), "the layer before a boundary probes for the removal");

        SkipPlan shortPlan = SkipPlan.resolve(SkipBudget.LLAMA_3_1_8B, config, 1500);
        // 1500 tokens: not skipped until the 2K stage; boundaries never cut below the next budget.
        for (int l = 0; l < 23; l++) {
            assertEquals(1500, shortPlan.active(l), "layer " + l);
        }
        assertEquals(1500, shortPlan.candidates(31));
        assertTrue(!shortPlan.skipsAny());
        var e = assertThrows(IllegalArgumentException.class,
                () -> SkipPlan.resolve(new SkipBudget(SkipMode.PAP, 40, new int[] {41}, new int[] {8}, 0, 0, 0), config, 100));
        assertTrue(e.getMessage().contains("startLayer 40"), e.getMessage());
    }

    /** An 8-layer GQA model (the demo model's shape). */
    private static dev.sptsrag.inference.model.ModelConfig layers(int layers) {
        var tiny = ModelPresets.get("tiny-llama");
        return new dev.sptsrag.inference.model.ModelConfig(tiny.architecture(), "demo-shape", 4096, 256, 704, layers, 8, 2,
                32, 16384, 1e-5f, 10000, dev.sptsrag.inference.model.RopeScaling.NONE, tiny.ropeLayout(), false, true, 0);
    }

    @Test
    void theDemoPresetKeepsAtMostAQuarterOfA4kPromptInEverySkippingLayer() {
        var config = layers(8);
        SkipBudget demo = SkipBudget.preset("demo", config);
        assertEquals(2, demo.startLayer());
        assertArrayEquals(new int[] {4, 6, 8}, demo.boundaries());
        for (int length : new int[] {4096, 3900, 3584}) {
            SkipPlan plan = SkipPlan.resolve(demo, config, length);
            assertEquals(length, plan.active(0));
            assertEquals(length, plan.active(1));
            for (int l = demo.startLayer(); l < 8; l++) {
                assertTrue(plan.active(l) <= 0.25 * length, "layer " + l + " keeps " + plan.active(l) + " of " + length);
            }
            assertTrue(plan.active(7) <= length / 7.0, "the deepest layers keep a seventh");
        }
        // Any depth: valid, starts after layer 0, skips at 4K.
        for (int layers = 2; layers <= 40; layers++) {
            SkipBudget b = SkipBudget.demo(layers);
            assertTrue(b.startLayer() >= 1 && b.startLayer() < layers, layers + " layers: " + b);
            SkipPlan plan = SkipPlan.resolve(b, layers(layers), 4096);
            assertTrue(plan.skipsAny(), layers + " layers");
            assertTrue(plan.active(layers - 1) <= 512, layers + " layers: " + plan);
        }
    }
}
