package dev.sptsrag.inference.eval;

import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.spts.SkipBudget;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The reduced evaluation CI runs on the committed demo model (models/demo-16m-f16.gguf): fresh samples
 * from the Java generators, held-out filler, greedy answers scored by string match.
 *
 * <p>Asserted (issue 5): under FULL the model answers single-needle retrieval and record questions at 2K and
 * 4K (≥ 90 %, per family over both lengths); at the {@code demo} skip preset SPTS executes at most 60 % of
 * FULL's prefill FLOPs in every cell and keeps at least 95 % of FULL's accuracy over the reduced evaluation
 * (those two families at 2K and 4K); and the layer's own probe (SPTS) keeps at least as many answers as the
 * previous layer's (the LazyLLM-style baseline) at the same budgets. The families and lengths where SPTS keeps
 * less (rag_records at 4K, everything from 8K) are in docs/evaluation.md's full table.
 */
class DemoModelEvaluationTest {
    private static final Path MODEL = Path.of("..", "models", "demo-16m-f16.gguf");

    /**
     * Skipping only the last layer at a quarter of a 2K prompt: the decode copies an answer from that layer's
     * KV, and the last token's probe ranks the answer's first token high but the ones after it low. Spans
     * ({@code spanTokens} 12) keep the followers of a chosen token; on these samples that brought the
     * answers back on the stage-3 model (75 % without spans, 100 % with them), and on the committed model
     * (trained with SPTS steps, spans of 48, and the probe loss): 50 % without, 100 % with.
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
    void fullPrefillAnswersAndTheSelfProbeKeepsWhatThePreviousLayerKeeps() {
        assertTrue(Files.isRegularFile(MODEL), "the demo model is committed at " + MODEL.toAbsolutePath());
        try (LoadedModel m = LoadedModel.open(MODEL);
             InferenceEngine engine = new InferenceEngine(m.config(), m.weights(), m.tokenizer(), new CpuBackend(), 4096 + 40,
                     0, null)) {
            PromptFormat format = PromptFormat.of(m);
            List<TaskSample> samples = new TaskSetGenerator(format)
                    .generate(List.of(TaskFamily.NIAH_SINGLE, TaskFamily.RECORDS_QA), List.of(2048, 4096), 5, 2026);
            EvalReport report = new EvalRunner(engine, format, new EvalRunner.Settings(24, 0))
                    .run(samples, List.of(EvalMode.FULL, EvalMode.SPTS, EvalMode.PREV_LAYER),
                            SkipBudget.preset("demo", m.config()), EvalRunner.Listener.NONE);
            System.out.println(report.table());
            Map<EvalMode, Double> overall = new TreeMap<>();
            Map<String, Double> full = new TreeMap<>();
            for (EvalCell c : report.cells()) {
                if (c.mode() == EvalMode.FULL) {
                    full.merge(c.task(), c.accuracy() / 2, Double::sum);
                } else {
                    assertTrue(c.flopsVsFull() <= 0.6, c.mode() + " on " + c.task() + " at " + c.length() + " executes "
                            + c.flopsVsFull() + " of FULL's prefill FLOPs");
                }
                overall.merge(c.mode(), c.accuracy() / 4, Double::sum);
            }
            // FULL is held to the bar per family over 2K and 4K (one miss in ten allowed).
            full.forEach((task, accuracy) -> assertTrue(accuracy >= 90, "FULL on " + task + " at 2K-4K: " + accuracy + " %"));
            // Here: SPTS 95 % (one record question at 4K missed), FULL 100 %, the baseline 65 %. The 50-sample table
            // (H200) has SPTS at 100 / 100 % on needles and 98 / 82 % on records at 2K / 4K against FULL's 100 / 100 and
            // 98 / 98 %: 0.96 of FULL over these four cells, the baseline 0.69.
            double spts = overall.get(EvalMode.SPTS);
            double fullOverall = overall.get(EvalMode.FULL);
            assertTrue(spts >= 0.95 * fullOverall, "SPTS keeps " + spts + " % against FULL's " + fullOverall
                    + " % (issue 5: at least 95 % of FULL's)");
            assertTrue(spts >= overall.get(EvalMode.PREV_LAYER),
                    "SPTS " + spts + " %, previous-layer baseline " + overall.get(EvalMode.PREV_LAYER) + " %");
        }
    }
}
