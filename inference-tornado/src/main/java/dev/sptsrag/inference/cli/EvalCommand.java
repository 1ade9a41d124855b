package dev.sptsrag.inference.cli;

import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.eval.EvalMode;
import dev.sptsrag.inference.eval.EvalReport;
import dev.sptsrag.inference.eval.EvalRunner;
import dev.sptsrag.inference.eval.PromptFormat;
import dev.sptsrag.inference.eval.TaskFamily;
import dev.sptsrag.inference.eval.TaskSample;
import dev.sptsrag.inference.eval.TaskSetFile;
import dev.sptsrag.inference.eval.TaskSetGenerator;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.spts.SkipBudget;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;

/**
 * {@code spts eval}: long-context accuracy and prefill cost of the engine under FULL, the SPTS ablation
 * modes and the previous-layer baseline, on generated task sets (docs/tasks.md) or a JSONL file
 * (docs/evaluation.md).
 */
@Command(name = "eval", mixinStandardHelpOptions = true,
        description = "Evaluate accuracy, TTFT and prefill FLOPs per task, length and skip mode.")
final class EvalCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Option(names = "--model", paramLabel = "MODEL", description = "A .gguf file or a Hugging Face model folder.")
    Path modelPath;

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Option(names = "--tasks", split = ",", defaultValue = "niah_single,records_qa",
            description = "Task families to generate, comma-separated: niah_single, niah_multikey, niah_multivalue, "
                    + "niah_multiquery, vt, cwe, records_qa, rag_records, niah_unseen (default ${DEFAULT-VALUE}).")
    List<String> tasks;

    @Option(names = "--lengths", split = ",", defaultValue = "2048,4096",
            description = "Prompt lengths in tokens, comma-separated (default ${DEFAULT-VALUE}).")
    List<Integer> lengths;

    @Option(names = "--samples", defaultValue = "50", description = "Samples per task and length (default ${DEFAULT-VALUE}).")
    int samples;

    @Option(names = "--seed", defaultValue = "1", description = "Seed of the generated task sets (default ${DEFAULT-VALUE}).")
    long seed;

    @Option(names = "--jsonl", paramLabel = "FILE",
            description = "Evaluate the tasks of this JSONL file instead of generating them (--tasks, --lengths, "
                    + "--samples and --seed are then unused).")
    Path jsonl;

    @Option(names = "--write-tasks", paramLabel = "FILE", description = "Also save the evaluated tasks as JSONL.")
    Path writeTasks;

    @Option(names = "--modes", split = ",", defaultValue = "FULL,PAP,PAP_LTP,SPTS,PREV_LAYER",
            description = "Modes, comma-separated: FULL, PAP, PAP_LTP, SPTS, PREV_LAYER (default ${DEFAULT-VALUE}).")
    List<String> modes;

    @Option(names = "--skip", defaultValue = "demo", paramLabel = "PRESET",
            description = "The skip preset (layers and budgets) every skipping mode uses: demo, default, llama, qwen or "
                    + "a JSON object (default ${DEFAULT-VALUE}).")
    String skip;

    @Option(names = "--ltp", defaultValue = "auto", paramLabel = "PROXY",
            description = "LTP proxy for PAP_LTP and SPTS: a file from spts calibrate, auto (beside the model, if any) "
                    + "or none (default: ${DEFAULT-VALUE}).")
    String ltp;

    @Option(names = "--max-new-tokens", defaultValue = "32",
            description = "Tokens each answer may take (greedy; stops at the end of turn; default ${DEFAULT-VALUE}).")
    int maxNewTokens;

    @Option(names = "--warmup", defaultValue = "1",
            description = "Untimed runs of the first sample in every mode before measuring (default ${DEFAULT-VALUE}).")
    int warmup;

    @Option(names = "--json", paramLabel = "FILE", description = "Write the report (cells and every sample) as JSON.")
    Path jsonOut;

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (modelPath == null) {
            throw new IllegalArgumentException("name the model with --model FILE (a .gguf file or a Hugging Face folder)");
        }
        List<EvalMode> evalModes = modes.stream().map(EvalMode::parse).toList();
        EvalRunner.Settings settings = new EvalRunner.Settings(maxNewTokens, warmup);
        try (LoadedModel loaded = LoadedModel.open(modelPath)) {
            PromptFormat format = PromptFormat.of(loaded);
            if (!format.hasChatTemplate()) {
                err.println("note: " + modelPath + " has no chat template; prompts are plain text after BOS");
            }
            SkipBudget preset = SkipBudget.parse(skip, loaded.config());
            List<TaskSample> set = taskSet(format);
            if (writeTasks != null) {
                TaskSetFile.write(writeTasks, set);
                err.println("wrote " + set.size() + " tasks to " + writeTasks);
            }
            int longest = set.stream().mapToInt(s -> format.tokens(s).length).max().orElseThrow();
            int context = runtime.context > 0 ? runtime.context
                    : Math.min(loaded.config().contextLength(), longest + maxNewTokens + 1);
            try (InferenceEngine engine = new InferenceEngine(loaded.config(), loaded.weights(), loaded.tokenizer(),
                    runtime.createBackend(err), context, runtime.batch,
                    new Progress(err, "loading layers", loaded.config().layerCount()))) {
                LowRankProxyOption.apply(ltp, loaded, engine, err);
                err.println("model " + loaded.config().name() + ", backend " + engine.backend().description()
                        + ", context " + context + "; " + set.size() + " samples × " + evalModes.size() + " modes; preset "
                        + preset);
                EvalReport report = new EvalRunner(engine, format, settings).run(set, evalModes, preset,
                        (index, total, results) -> err.println("sample " + (index + 1) + "/" + total + " "
                                + results.getFirst().task() + " " + results.getFirst().length() + ": "
                                + results.stream().map(r -> r.mode() + " " + String.format("%.2f", r.score()))
                                .collect(Collectors.joining(", "))));
                out.print(report.table());
                out.flush();
                if (jsonOut != null) {
                    write(jsonOut, report.toJson(header(loaded, engine, preset, context)));
                    err.println("wrote " + jsonOut);
                }
            }
        }
        return 0;
    }

    private List<TaskSample> taskSet(PromptFormat format) {
        if (jsonl != null) {
            return TaskSetFile.read(jsonl);
        }
        if (samples < 1 || lengths.isEmpty() || lengths.stream().anyMatch(n -> n < 1)) {
            throw new IllegalArgumentException("--samples and --lengths must be >= 1");
        }
        List<TaskFamily> families = tasks.stream().map(TaskFamily::parse).toList();
        return new TaskSetGenerator(format).generate(families, lengths, samples, seed);
    }

    private Map<String, Object> header(LoadedModel loaded, InferenceEngine engine, SkipBudget preset, int context) {
        Map<String, Object> h = new LinkedHashMap<>();
        h.put("model", modelPath.toString());
        h.put("modelName", loaded.config().name());
        h.put("backend", engine.backend().description());
        h.put("context", context);
        h.put("tasks", jsonl != null ? "file " + jsonl : String.join(",", tasks));
        h.put("lengths", jsonl != null ? null : lengths);
        h.put("samplesPerCell", jsonl != null ? null : samples);
        h.put("seed", jsonl != null ? null : seed);
        h.put("skipPreset", skip);
        h.put("skipBudget", preset.toJson());
        h.put("ltp", ltp);
        h.put("maxNewTokens", maxNewTokens);
        h.put("modes", modes);
        return h;
    }

    private static void write(Path file, String text) {
        try {
            Files.writeString(file, text, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot write " + file + ": " + e.getMessage(), e);
        }
    }
}
