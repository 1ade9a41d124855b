package dev.sptsrag.inference.cli;

import dev.sptsrag.inference.engine.GenerationMetrics;
import dev.sptsrag.inference.engine.GenerationRequest;
import dev.sptsrag.inference.engine.GenerationResult;
import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.engine.SamplingOptions;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.spts.SkipBudget;
import dev.sptsrag.inference.tokenizer.ChatMessage;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import dev.sptsrag.inference.json.Json;
import dev.sptsrag.inference.json.JsonValues;

import java.io.PrintWriter;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code spts generate MODEL --prompt "..."}: streams a completion and prints timings. */
@Command(name = "generate", mixinStandardHelpOptions = true,
        description = "Generate text from a prompt (as a chat turn when the model has a chat template).")
final class GenerateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Mixin
    RuntimeOptions runtime = new RuntimeOptions();

    @Option(names = {"-p", "--prompt"}, description = "The prompt (the user's message in chat mode).")
    String prompt;

    @Option(names = "--messages", paramLabel = "FILE",
            description = "A conversation instead of --prompt: a JSON array of {\"role\": ..., \"content\": ...} objects.")
    Path messagesFile;

    @Option(names = "--system", description = "A system message (chat mode).")
    String system;

    @Option(names = "--raw", description = "Do not apply the chat template; continue the prompt text as is.")
    boolean raw;

    @Option(names = {"-n", "--max-tokens"}, defaultValue = "256", description = "Tokens to generate at most (default ${DEFAULT-VALUE}).")
    int maxTokens;

    @Option(names = "--temperature", defaultValue = "0.8", description = "0 for greedy (default ${DEFAULT-VALUE}).")
    double temperature;

    @Option(names = "--top-k", defaultValue = "40", description = "0 disables (default ${DEFAULT-VALUE}).")
    int topK;

    @Option(names = "--top-p", defaultValue = "0.95", description = "1 disables (default ${DEFAULT-VALUE}).")
    double topP;

    @Option(names = "--min-p", defaultValue = "0.05", description = "0 disables (default ${DEFAULT-VALUE}).")
    double minP;

    @Option(names = "--repeat-penalty", defaultValue = "1.0", description = "1 disables (default ${DEFAULT-VALUE}).")
    double repeatPenalty;

    @Option(names = "--presence-penalty", defaultValue = "0", description = "In [-2, 2] (default ${DEFAULT-VALUE}).")
    double presencePenalty;

    @Option(names = "--frequency-penalty", defaultValue = "0", description = "In [-2, 2] (default ${DEFAULT-VALUE}).")
    double frequencyPenalty;

    @Option(names = "--seed", description = "Random seed: the same seed gives the same output.")
    Long seed;

    @Option(names = "--skip", defaultValue = "off", paramLabel = "BUDGET",
            description = "SPTS skip budget: off, default, llama, qwen (optionally :pap or :pap-ltp), or a JSON object "
                    + "(docs/spts.md). Default: ${DEFAULT-VALUE}.")
    String skip;

    @Option(names = "--ltp", defaultValue = "auto", paramLabel = "PROXY",
            description = "LTP proxy for skip modes pap-ltp and spts: a file from spts calibrate, auto (the file beside "
                    + "the model, if any), or none (default: ${DEFAULT-VALUE}).")
    String ltp;

    @Option(names = "--stop", description = "Stop before this text (repeatable).")
    List<String> stops = new ArrayList<>();

    @Override
    public Integer call() {
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if ((prompt == null) == (messagesFile == null)) {
            throw new IllegalArgumentException("give either --prompt or --messages");
        }
        if (messagesFile != null && raw) {
            throw new IllegalArgumentException("--messages needs the chat template; it cannot be combined with --raw");
        }
        SamplingOptions sampling = new SamplingOptions(maxTokens, temperature, topK, topP, minP, repeatPenalty,
                presencePenalty, frequencyPenalty, seed, stops);
        long t0 = System.nanoTime();
        try (LoadedModel loaded = model.open()) {
            if (loaded.tokenizer() == null) {
                throw new IllegalArgumentException("generate needs a model with a tokenizer; presets have none (use bench)");
            }
            int context = runtime.contextFor(loaded.config().contextLength());
            try (InferenceEngine engine = new InferenceEngine(loaded.config(), loaded.weights(), loaded.tokenizer(),
                    runtime.createBackend(err), context, runtime.batch,
                    new Progress(err, "loading layers", loaded.config().layerCount()))) {
                LowRankProxyOption.apply(ltp, loaded, engine, err);
                long loadNanos = System.nanoTime() - t0;
                err.println("model " + loaded.config().name() + " (" + loaded.format() + "), backend "
                        + engine.backend().description() + ", context " + context);
                err.println("memory plan: " + engine.memoryPlan());
                int[] tokens = promptTokens(loaded);
                SkipBudget budget = SkipBudget.parse(skip, loaded.config());
                GenerationResult result = engine.generate(new GenerationRequest(tokens, sampling, budget), (id, text) -> {
                    out.print(text);
                    out.flush();
                    return true;
                });
                out.println();
                GenerationMetrics m = result.metrics();
                err.printf("load %.2f s | prompt %d tokens, prefill %.1f tok/s, TTFT %.3f s | generated %d tokens, "
                                + "decode %.2f tok/s | finish %s%n",
                        loadNanos / 1e9, m.promptTokens(), m.prefillTokensPerSecond(), m.timeToFirstTokenNanos() / 1e9,
                        m.generatedTokens(), m.decodeTokensPerSecond(), result.finishReason());
                if (result.skipStatistics() != null) {
                    err.println("skip: " + budget + "\n      " + result.skipStatistics());
                }
            }
        }
        return 0;
    }

    private int[] promptTokens(LoadedModel loaded) {
        if (messagesFile == null && (raw || loaded.chatTemplate() == null)) {
            return loaded.tokenizer().encode(prompt, true);
        }
        if (loaded.chatTemplate() == null) {
            throw new IllegalArgumentException("--messages needs a chat template, and this model has none");
        }
        List<ChatMessage> messages = new ArrayList<>();
        if (system != null) {
            messages.add(new ChatMessage("system", system));
        }
        if (messagesFile != null) {
            messages.addAll(readMessages(messagesFile));
        } else {
            messages.add(new ChatMessage("user", prompt));
        }
        return loaded.tokenizer().encode(loaded.chatTemplate().render(messages, true));
    }

    /** Reads [{"role": "...", "content": "..."}, ...]; anything else is a readable error. */
    static List<ChatMessage> readMessages(Path file) {
        String source = file.toString();
        if (!(Json.parse(file) instanceof List<?> array) || array.isEmpty()) {
            throw new IllegalArgumentException(source + ": expected a non-empty JSON array of messages");
        }
        List<ChatMessage> messages = new ArrayList<>();
        for (Object item : array) {
            if (!(item instanceof Map<?, ?> entry)) {
                throw new IllegalArgumentException(source + ": message " + messages.size() + " is not a JSON object");
            }
            @SuppressWarnings("unchecked")
            Map<String, Object> obj = (Map<String, Object>) entry;
            messages.add(new ChatMessage(JsonValues.string(obj, "role", source), JsonValues.string(obj, "content", source)));
        }
        return messages;
    }
}
