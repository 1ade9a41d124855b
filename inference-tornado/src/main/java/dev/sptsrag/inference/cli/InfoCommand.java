package dev.sptsrag.inference.cli;

import dev.sptsrag.inference.gguf.GgufArray;
import dev.sptsrag.inference.gguf.GgufFile;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.tensor.GgmlType;
import dev.sptsrag.inference.tensor.WeightTensor;
import dev.sptsrag.inference.tokenizer.SpecialTokens;
import dev.sptsrag.inference.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.util.EnumMap;
import java.util.Map;
import java.util.concurrent.Callable;

/** {@code spts info MODEL}: what a model file holds and what running it takes. */
@Command(name = "info", mixinStandardHelpOptions = true,
        description = "Show a model's configuration, tokenizer, tensors and memory needs.")
final class InfoCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--tensors", description = "List every tensor.")
    boolean tensors;

    @Option(names = "--metadata", description = "List GGUF metadata (long arrays summarised).")
    boolean metadata;

    @Option(names = "--context", defaultValue = "8192", description = "Context length for the KV-cache estimate (default ${DEFAULT-VALUE}).")
    int context;

    @Override
    public Integer call() throws IOException {
        PrintWriter out = spec.commandLine().getOut();
        try (LoadedModel loaded = model.open()) {
            ModelConfig c = loaded.config();
            out.printf("model         %s%n", c.name());
            out.printf("format        %s%s%n", loaded.format(), loaded.path() == null ? "" : " (" + loaded.path() + ")");
            out.printf("architecture  %s%n", c.architecture());
            out.printf("parameters    %,d%n", c.parameterCount());
            out.printf("layers        %d, hidden %d, FFN %d, vocab %d%n", c.layerCount(), c.hiddenSize(),
                    c.intermediateSize(), c.vocabSize());
            out.printf("attention     %d query heads, %d KV heads, head dim %d%s%n", c.headCount(), c.kvHeadCount(),
                    c.headDim(), c.slidingWindow() > 0 ? ", sliding window " + c.slidingWindow() : "");
            out.printf("rope          theta %s, scaling %s, %s layout%n", c.ropeTheta(), c.ropeScaling(),
                    c.ropeLayout().name().toLowerCase(java.util.Locale.ROOT));
            out.printf("context       %d tokens%n", c.contextLength());
            out.printf("features      QKV bias %s, tied embeddings %s, QK norm %s, norm eps %s%n", c.qkvBias(),
                    c.tiedEmbeddings(), c.qkNorm(), c.normEps());

            Map<GgmlType, long[]> byType = new EnumMap<>(GgmlType.class);
            long fileBytes = 0;
            for (WeightTensor t : loaded.weights().all()) {
                long[] acc = byType.computeIfAbsent(t.type(), k -> new long[2]);
                acc[0]++;
                acc[1] += t.data().byteSize();
                fileBytes += t.data().byteSize();
            }
            StringBuilder types = new StringBuilder();
            byType.forEach((type, acc) -> types.append(types.isEmpty() ? "" : ", ").append(acc[0]).append(" × ").append(type));
            out.printf("tensors       %s%n", types);
            long kvPerToken = 2L * c.layerCount() * c.kvDim() * 4;
            out.printf("memory        weights %s as stored, %s as float32 (CPU backend); KV cache %s per token, "
                            + "%s for %d tokens (float32)%n",
                    bytes(fileBytes), bytes(c.parameterCount() * 4), bytes(kvPerToken), bytes(kvPerToken * context), context);

            Tokenizer tok = loaded.tokenizer();
            if (tok != null) {
                SpecialTokens s = tok.specialTokens();
                out.printf("tokenizer     byte-level BPE, %d tokens, pre-tokenizer %s%s%n", tok.vocabSize(),
                        tok.preTokenizer().ggufName(), tok.normalizesNfc() ? ", NFC" : "");
                out.printf("special       bos %s, eos %s, eot %s, add bos %s%n", name(tok, s.bos()), name(tok, s.eos()),
                        name(tok, s.eot()), s.addBos());
            }
            out.printf("chat template %s%n", loaded.chatTemplate() == null ? "none" : "yes");

            if (metadata && loaded.path() != null && Files.isRegularFile(loaded.path())) {
                try (GgufFile f = GgufFile.open(loaded.path())) {
                    f.metadata().asMap().forEach((k, v) -> out.printf("  %-48s %s%n", k, summary(v)));
                }
            }
            if (tensors) {
                for (WeightTensor t : loaded.weights().all()) {
                    out.printf("  %-40s %-5s %-20s %s%n", t.name(), t.type(), java.util.Arrays.toString(t.shape()),
                            bytes(t.data().byteSize()));
                }
            }
        }
        return 0;
    }

    private static String name(Tokenizer t, int id) {
        return id < 0 ? "none" : id + " " + t.tokenText(id);
    }

    private static String summary(Object v) {
        if (v instanceof GgufArray a) {
            return a.elementType() + "[" + a.size() + "]" + (a.size() <= 8 ? " " + a.values() : "");
        }
        String s = String.valueOf(v);
        return s.length() > 120 ? s.substring(0, 117).replace('\n', ' ') + "..." : s.replace('\n', ' ');
    }

    static String bytes(long b) {
        if (b >= 1L << 30) {
            return String.format("%.2f GiB", b / (double) (1L << 30));
        }
        if (b >= 1L << 20) {
            return String.format("%.1f MiB", b / (double) (1L << 20));
        }
        return String.format("%.1f KiB", b / 1024.0);
    }
}
