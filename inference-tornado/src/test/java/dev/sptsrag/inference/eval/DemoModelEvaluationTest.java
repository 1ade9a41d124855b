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
 * <p>Asserted: under FULL the model answers single-needle retrieval and record questions at 2K and 4K
 * (issue 5's bar is ≥ 90 %, here per family over both lengths), the {@code demo} skip preset executes at most 60 % of FULL's prefill
 * FLOPs at 4K, SPTS keeps most single needles, and the layer's own probe (SPTS) keeps at least as many
 * answers as the previous layer's (the LazyLLM-style baseline) at the same budgets. Not asserted: issue 5's
 * "SPTS keeps ≥ 95 % of FULL" — the demo model does not reach it (record questions lose most;
 * docs/evaluation.md).
 */
class DemoModelEvaluationTest {
    private static final Path MODEL = Path.of("..", "models", "demo-16m-f16.gguf");

    /**
     * Skipping only the last layer at a quarter of a 2K prompt: the decode copies an answer from that layer's
     * KV, and the last token's probe ranks the answer's first token high but the ones after it low. Spans
     * ({@code spanTokens} 12) keep the followers of a chosen token; on these samples that brought the
     * answers back on the stage-3 model (75 % without spans, 100 % with them), and on the committed model
     * (trained with SPTS steps, spans of 48): 37.5 % without, 100 % with.
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
            double needles = 0;
            Map<EvalMode, Double> overall = new TreeMap<>();
            Map<String, Double> full = new TreeMap<>();
            for (EvalCell c : report.cells()) {
                if (c.mode() == EvalMode.FULL) {
                    full.merge(c.task(), c.accuracy() / 2, Double::sum);
                } else if (c.length() == 4096) {
                    assertTrue(c.flopsVsFull() <= 0.6, c.mode() + " at 4K executes " + c.flopsVsFull() + " of FULL");
                }
                if (c.task().equals("niah_single") && c.mode() == EvalMode.SPTS) {
                    needles += c.accuracy() / 2;
                }
                overall.merge(c.mode(), c.accuracy() / 4, Double::sum);
            }
            // Five samples a cell is a coarse check: FULL is held to the bar per family over 2K and 4K (one miss in
            // ten allowed); the 50-sample table has records_qa and niah_single at 100 % at both lengths.
            full.forEach((task, accuracy) -> assertTrue(accuracy >= 90, "FULL on " + task + " at 2K-4K: " + accuracy + " %"));
            // Here: needles 80 / 100 %, over all four cells SPTS 65 % against the baseline's 55 %; on the H200 with
            // 50 samples a cell: needles 76 / 90 %, and SPTS at or above the baseline at every length from 2K.
            assertTrue(needles >= 70, "SPTS on single needles at 2K-4K: " + needles + " %");
            assertTrue(overall.get(EvalMode.SPTS) >= overall.get(EvalMode.PREV_LAYER),
                    "SPTS " + overall.get(EvalMode.SPTS) + " %, previous-layer baseline " + overall.get(EvalMode.PREV_LAYER) + " %");
        }
    }
}
