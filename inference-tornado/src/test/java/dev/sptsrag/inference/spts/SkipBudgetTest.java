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
}
