package dev.sptsrag.inference.eval;

import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.json.Json;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.spts.SkipBudget;
import dev.sptsrag.inference.testing.ParityFixture;
import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The evaluation's mechanics on a random-weight fixture model with a real tokenizer and chat template
 * (llama-gqa-rope3: 3 layers, GQA, 512 positions). Random weights answer nothing, so accuracy is not
 * asserted here; the lead's reduced evaluation with the demo model does that.
 */
class EvalRunnerTest {
    private static final String PRESET = "{\"mode\":\"SPTS\",\"startLayer\":1,\"boundaries\":[2],\"stageBudgets\":[96],"
            + "\"removalPerBoundary\":32}";

    @Test
    void everyModeRunsTheSameSamplesAndTheReportAddsThemUp() {
        try (LoadedModel m = LoadedModel.open(ParityFixture.load("llama-gqa-rope3").folder());
             InferenceEngine engine = new InferenceEngine(m.config(), m.weights(), m.tokenizer(), new CpuBackend(2), 480, 0,
                     null)) {
            PromptFormat format = PromptFormat.of(m);
            List<TaskSample> samples = new TaskSetGenerator(format)
                    .generate(List.of(TaskFamily.NIAH_SINGLE, TaskFamily.VT), List.of(300, 440), 2, 7);
            List<EvalMode> modes = List.of(EvalMode.values());
            int[] seen = {0};
            EvalReport report = new EvalRunner(engine, format, new EvalRunner.Settings(4, 0))
                    .run(samples, modes, SkipBudget.parse(PRESET, m.config()), (i, total, results) -> {
                        assertEquals(seen[0]++, i);
                        assertEquals(modes.size(), results.size());
                        assertEquals(1, results.stream().mapToInt(SampleResult::promptTokens).distinct().count(),
                                "every mode prefills the same prompt");
                    });
            assertEquals(samples.size(), seen[0]);
            assertEquals(2 * 2 * modes.size(), report.cells().size());
            for (EvalCell c : report.cells()) {
                assertEquals(2, c.samples());
                assertTrue(c.accuracy() >= 0 && c.accuracy() <= 100);
                assertTrue(c.meanPromptTokens() <= c.length());
                if (c.mode() == EvalMode.FULL) {
                    assertEquals(1.0, c.flopsVsFull());
                    assertEquals(1.0, c.deepestKept());
                    assertEquals(1.0, c.kvKept());
                } else {
                    assertTrue(c.flopsVsFull() < 1, c.toString());
                    assertTrue(c.deepestKept() < 1, c.toString());
                    assertEquals(1.0, c.attentionKept()[0], "layer 0 runs every token");
                }
            }
            for (SampleResult r : report.results()) {
                if (r.mode() != EvalMode.FULL) {
                    // The preset keeps 96 tokens' attention in layers 1 and 2.
                    assertEquals(List.of(r.promptTokens(), 96, 96), List.of(r.attentionActive()[0], r.attentionActive()[1],
                            r.attentionActive()[2]), r.toString());
                }
            }
            EvalCell spts = report.cell("vt", 440, EvalMode.SPTS);
            double kept = report.results().stream().filter(r -> r.task().equals("vt") && r.length() == 440
                    && r.mode() == EvalMode.SPTS).mapToDouble(r -> 96.0 / r.promptTokens()).average().orElseThrow();
            assertEquals(kept, spts.deepestKept(), 1e-9);
            assertTrue(report.table().contains("niah_single"), report.table());
            Map<String, Object> json = Json.parseObject(report.toJson(Map.of("model", "fixture")), "report");
            assertEquals("fixture", json.get("model"));
            assertEquals(report.cells().size(), ((List<?>) json.get("cells")).size());
            assertEquals(samples.size() * modes.size(), ((List<?>) json.get("samples")).size());
        }
    }

    @Test
    void promptsThatDoNotFitTheEngineAreRefusedBeforeAnyRun() {
        try (LoadedModel m = LoadedModel.open(ParityFixture.load("llama-gqa-rope3").folder());
             InferenceEngine engine = new InferenceEngine(m.config(), m.weights(), m.tokenizer(), new CpuBackend(1), 256, 0,
                     null)) {
            PromptFormat format = PromptFormat.of(m);
            List<TaskSample> samples = new TaskSetGenerator(format).generate(List.of(TaskFamily.NIAH_SINGLE),
                    List.of(400), 1, 1);
            var e = assertThrows(IllegalArgumentException.class, () -> new EvalRunner(engine, format, EvalRunner.Settings.DEFAULT)
                    .run(samples, List.of(EvalMode.FULL), SkipBudget.OFF, EvalRunner.Listener.NONE));
            assertTrue(e.getMessage().contains("exceed the engine's context of 256"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> new EvalRunner(engine, format, EvalRunner.Settings.DEFAULT)
                    .run(samples, List.of(EvalMode.SPTS), SkipBudget.OFF, EvalRunner.Listener.NONE));
            assertTrue(e.getMessage().contains("needs a skipping preset"), e.getMessage());
        }
    }
}
