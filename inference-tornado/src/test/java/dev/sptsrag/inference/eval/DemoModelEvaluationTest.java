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
 * FLOPs at 4K, and on the needles the layer's own probe (SPTS) keeps far more answers than the
 * previous layer's (the LazyLLM-style baseline) at the same budgets. Not asserted: issue 5's "SPTS keeps
 * ≥ 95 % of FULL" — the demo model does not reach it (record questions lose most; docs/evaluation.md).
 */
class DemoModelEvaluationTest {
    private static final Path MODEL = Path.of("..", "models", "demo-16m-f16.gguf");

    /**
     * Skipping only the last layer at a quarter of a 2K prompt: the decode copies an answer from that layer's
     * KV, and the last token's probe ranks the answer's first token high but the ones after it low. Spans
     * ({@code spanTokens} 12) keep the followers of a chosen token; on these samples that brought the
     * answers back on the stage-3 model (75 % without spans, 100 % with them). The committed model was then
     * trained with SPTS steps (spans of 16) and answers both ways (100 % / 100 %): spans must not cost answers.
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
    void fullPrefillAnswersAndTheSelfProbeKeepsNeedlesThePreviousLayerLoses() {
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
            double selfProbe = 0;
            double previousLayer = 0;
            Map<String, Double> full = new TreeMap<>();
            for (EvalCell c : report.cells()) {
                if (c.mode() == EvalMode.FULL) {
                    full.merge(c.task(), c.accuracy() / 2, Double::sum);
                } else if (c.length() == 4096) {
                    assertTrue(c.flopsVsFull() <= 0.6, c.mode() + " at 4K executes " + c.flopsVsFull() + " of FULL");
                }
                if (c.task().equals("niah_single") && c.mode() == EvalMode.SPTS) {
                    selfProbe += c.accuracy() / 2;
                } else if (c.task().equals("niah_single") && c.mode() == EvalMode.PREV_LAYER) {
                    previousLayer += c.accuracy() / 2;
                }
            }
            // Five samples a cell is a coarse check: FULL is held to the bar per family over 2K and 4K (one miss in
            // ten allowed); the 50-sample table has records_qa at 100 / 98 % and niah_single at 100 / 100 %.
            full.forEach((task, accuracy) -> assertTrue(accuracy >= 90, "FULL on " + task + " at 2K-4K: " + accuracy + " %"));
            // On the H200 with 50 samples per cell: 74 / 90 % against 40 / 24 % at 2K / 4K (docs/evaluation.md).
            assertTrue(selfProbe >= 70 && selfProbe >= previousLayer + 30,
                    "needles at 2K-4K: SPTS " + selfProbe + " %, previous-layer baseline " + previousLayer + " %");
        }
    }
}
