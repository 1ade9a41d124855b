package dev.sptsrag.inference.cli;

import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.decoder.DeviceModel;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.spts.ltp.CalibrationSettings;
import dev.sptsrag.inference.spts.ltp.LowRankProxy;
import dev.sptsrag.inference.spts.ltp.LowRankProxyFile;
import dev.sptsrag.inference.spts.ltp.ProxyCalibrator;
import dev.sptsrag.inference.spts.ltp.ProxyVariant;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;
import picocli.CommandLine.Model.CommandSpec;

import java.io.IOException;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;

/**
 * {@code spts calibrate MODEL --text FILE...}: builds the LTP proxy of a model (SPTS's FFN-skipping
 * predictor) on the float32 CPU backend and writes it beside the model. A preset has no tokenizer and
 * calibrates on random token ids.
 */
@Command(name = "calibrate", mixinStandardHelpOptions = true,
        description = "Build the LTP low-rank proxy (FFN skipping) of a model from calibration text and write it beside the model.")
final class CalibrateCommand implements Callable<Integer> {
    @Spec
    CommandSpec spec;

    @Mixin
    ModelOptions model = new ModelOptions();

    @Option(names = "--text", paramLabel = "FILE", arity = "1..*",
            description = "UTF-8 calibration text files (the paper used 200 Qasper documents); not with --preset.")
    List<Path> texts = new ArrayList<>();

    @Option(names = "--d-low", paramLabel = "N",
            description = "Intermediate channels kept per layer (default: the paper's, scaled to the model: "
                    + "Llama-3.1-8B 512, Qwen-2.5-7B 1024).")
    Integer channels;

    @Option(names = "--rank", paramLabel = "R",
            description = "Rank of the gate and up factors (default: the paper's, scaled: Llama-3.1-8B 192, Qwen-2.5-7B 256).")
    Integer rank;

    @Option(names = "--rho", defaultValue = "0.2",
            description = "Top fraction of a channel's saliency values whose mean ranks it (default ${DEFAULT-VALUE}).")
    double rho;

    @Option(names = "--variant", defaultValue = "down",
            description = "down: the proxy predicts the FFN update (with W_down's kept columns); intermediate: the "
                    + "SwiGLU output of the kept channels (smaller, cheaper). Default ${DEFAULT-VALUE}.")
    String variant;

    @Option(names = "--tokens", defaultValue = "8192", paramLabel = "N",
            description = "Calibration tokens at most (default ${DEFAULT-VALUE}).")
    int tokens;

    @Option(names = "--sequence-length", defaultValue = "2048", paramLabel = "N",
            description = "Tokens per calibration sequence at most (default ${DEFAULT-VALUE}, capped at the model's context).")
    int sequenceLength;

    @Option(names = {"-o", "--out"}, paramLabel = "PATH",
            description = "Proxy file to write (default: MODEL.gguf.ltp, or spts-ltp.bin inside a Hugging Face folder).")
    Path out;

    @Option(names = "--force", description = "Overwrite an existing proxy file.")
    boolean force;

    @Option(names = "--threads", defaultValue = "0", description = "CPU threads (0: all processors).")
    int threads;

    @Option(names = "--seed", defaultValue = "1",
            description = "Seed of the SVD's random projections and of a preset's random tokens (default ${DEFAULT-VALUE}).")
    long seed;

    @Override
    public Integer call() throws IOException {
        PrintWriter stdout = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        if (tokens < 1 || sequenceLength < 2 || threads < 0) {
            throw new IllegalArgumentException("--tokens must be >= 1, --sequence-length >= 2, --threads >= 0");
        }
        ProxyVariant proxyVariant = ProxyVariant.parse(variant);
        long t0 = System.nanoTime();
        try (LoadedModel loaded = model.open()) {
            ModelConfig config = loaded.config();
            Path target = out != null ? out : loaded.path() != null ? LowRankProxyFile.defaultPath(loaded.path()) : null;
            if (target == null) {
                throw new IllegalArgumentException("a preset has no file to write beside; pass --out PATH");
            }
            if (Files.exists(target) && !force) {
                throw new IllegalArgumentException(target + " exists; pass --force to overwrite");
            }
            CalibrationSettings settings = CalibrationSettings.paperDefaults(config);
            if (channels != null) {
                settings = settings.withChannels(channels);
            }
            if (rank != null) {
                settings = settings.withRank(rank);
            }
            // Saliency heaps live on the Java heap (the model is off-heap): half of it keeps every layer in
            // one pass over the tokens where it can, instead of running them once per group of layers.
            settings = settings.withRho(rho).withVariant(proxyVariant).withSeed(seed)
                    .withSaliencyBytes(Math.max(1, Runtime.getRuntime().maxMemory() / 2));
            settings.shapeFor(config); // D_low and r against the model's widths, before the long part

            int length = Math.min(sequenceLength, config.contextLength());
            List<int[]> sequences;
            if (loaded.tokenizer() == null) {
                if (!texts.isEmpty()) {
                    throw new IllegalArgumentException("this model has no tokenizer (a preset): omit --text to calibrate "
                            + "on random token ids");
                }
                sequences = CalibrationTokens.random(config.vocabSize(), tokens, length, seed);
            } else {
                if (texts.isEmpty()) {
                    throw new IllegalArgumentException("name calibration text with --text FILE...");
                }
                sequences = CalibrationTokens.fromTexts(loaded.tokenizer(), texts, tokens, length);
            }
            stdout.printf("calibrating %s (%s) on %s%nD_low %d, r %d, rho %s, variant %s%n", config.name(), loaded.format(),
                    CalibrationTokens.describe(sequences), settings.channels(), settings.rank(), settings.rho(),
                    settings.variant().label());
            stdout.flush();

            LowRankProxy proxy;
            try (CpuBackend backend = new CpuBackend(threads > 0 ? threads : Runtime.getRuntime().availableProcessors())) {
                DeviceModel device = DeviceModel.upload(config, loaded.weights(), backend,
                        new Progress(err, "loading layers", config.layerCount()));
                proxy = new ProxyCalibrator(settings).calibrate(loaded.weights(), device, sequences, new Report(stdout));
            }
            LowRankProxyFile.write(target, proxy);
            stdout.printf("wrote %s: %s, %.2f MiB, in %.1f s%n", target, proxy.shape(), Files.size(target) / 1048576.0,
                    (System.nanoTime() - t0) / 1e9);
        }
        return 0;
    }

    /** Prints each pass over the tokens and each layer as it is done. */
    private record Report(PrintWriter out) implements ProxyCalibrator.Listener {
        @Override
        public void pass(int firstLayer, int endLayer, long tokens, long nanos) {
            out.printf("forward pass ranking channels of layers %d..%d: %d tokens in %.2f s (%.0f tok/s)%n", firstLayer,
                    endLayer - 1, tokens, nanos / 1e9, tokens / (nanos / 1e9));
            out.flush();
        }

        @Override
        public void layer(ProxyCalibrator.LayerReport r) {
            out.printf("layer %d: gather %.1f ms, factor %.1f ms | kept channels hold %.1f%% of the importance; "
                            + "rank keeps %.1f%% (gate), %.1f%% (up) of their energy%n", r.layer(), r.gatherNanos() / 1e6,
                    r.factorNanos() / 1e6, 100 * r.importanceKept(), 100 * r.gateEnergy(), 100 * r.upEnergy());
            out.flush();
        }
    }
}
