package dev.sptsrag.inference.eval;

import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.spts.SkipBudget;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reduced evaluation CI runs on the committed demo model (models/demo-16m-f16.gguf): fresh samples
 * from the Java generators, held-out filler, greedy answers scored by string match.
 *
 * <p>Asserted: under FULL the model answers single-needle retrieval and record questions at 2K and 4K
 * (issue 5's bar is ≥ 90 %), and the {@code demo} skip preset executes at most 60 % of FULL's prefill
 * FLOPs at 4K. Not asserted: SPTS accuracy on this model — it loses the answers (docs/evaluation.md says
 * why), and a test that pretended otherwise could not fail honestly.
 */
class DemoModelEvaluationTest {
    private static final Path MODEL = Path.of("..", "models", "demo-16m-f16.gguf");

    /**
     * Skipping only the last layer at a quarter of a 2K prompt: the decode copies an answer from that layer's
     * KV, and the last token's probe ranks the answer's first token high but the ones after it low. Spans
     * ({@code spanTokens} 12) keep the followers of a chosen token; on these samples that brought the
     * answers back (75 % without spans, 100 % with them, when this test was written).
     */
    @Test
    void spansKeepTheTokensADecodeCopies() {
        assertTrue(Files.isRegularFile(MODEL), "the demo model is committed at " + MODEL.toAbsolutePath());
        try (LoadedModel m = LoadedModel.open(MODEL);
             InferenceEngine engine = new InferenceEngine(m.config(), m.weights(), m.tokenizer(), new CpuBackend(), 2048 + 40,
                     0, null)) {
            PromptFormat format = PromptFormat.of(m);
            List<TaskSample> samples = new TaskSetGenerator(format)
                    .generate(List.of(TaskFamily.NIAH_SINGLE, TaskFamily.RECORDS_QA), List.of(2048), 4, 1);
            String lastLayer = "{\"mode\":\"PAP\",\"startLayer\":7,\"boundaries\":[8],\"stageBudgets\":[512],"
                    + "\"sinkTokens\":4,\"recentTokens\":64";
            EvalRunner runner = new EvalRunner(engine, format, new EvalRunner.Settings(24, 0));
            double without = runner.run(samples, List.of(EvalMode.PAP), SkipBudget.parse(lastLayer + "}", m.config()),
                    EvalRunner.Listener.NONE).accuracy(EvalMode.PAP);
            double with = runner.run(samples, List.of(EvalMode.PAP),
                    SkipBudget.parse(lastLayer + ",\"spanTokens\":12}", m.config()), EvalRunner.Listener.NONE)
                    .accuracy(EvalMode.PAP);
            System.out.printf("last layer at 512 of 2K tokens: %.1f %% without spans, %.1f %% with spans of 12%n", without,
                    with);
            assertTrue(with >= 90 && with >= without, "with spans " + with + " %, without " + without + " %");
        }
    }

    @Test
    void fullPrefillAnswersNeedlesAndRecordsAndTheDemoPresetHalvesTheFlops() {
        assertTrue(Files.isRegularFile(MODEL), "the demo model is committed at " + MODEL.toAbsolutePath());
        try (LoadedModel m = LoadedModel.open(MODEL);
             InferenceEngine engine = new InferenceEngine(m.config(), m.weights(), m.tokenizer(), new CpuBackend(), 4096 + 40,
                     0, null)) {
            PromptFormat format = PromptFormat.of(m);
            List<TaskSample> samples = new TaskSetGenerator(format)
                    .generate(List.of(TaskFamily.NIAH_SINGLE, TaskFamily.RECORDS_QA), List.of(2048, 4096), 5, 2026);
            EvalReport report = new EvalRunner(engine, format, new EvalRunner.Settings(24, 0))
                    .run(samples, List.of(EvalMode.FULL, EvalMode.SPTS), SkipBudget.preset("demo", m.config()),
                            EvalRunner.Listener.NONE);
            System.out.println(report.table());
            for (EvalCell c : report.cells()) {
                if (c.mode() == EvalMode.FULL) {
                    assertTrue(c.accuracy() >= 90, "FULL on " + c.task() + " at " + c.length() + ": " + c.accuracy() + " %");
                } else if (c.length() == 4096) {
                    assertTrue(c.flopsVsFull() <= 0.6, "the demo preset at 4K executes " + c.flopsVsFull() + " of FULL");
                }
            }
        }
    }
}
