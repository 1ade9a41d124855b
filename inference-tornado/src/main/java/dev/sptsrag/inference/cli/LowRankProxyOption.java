package dev.sptsrag.inference.cli;

import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.spts.ltp.LowRankProxy;
import dev.sptsrag.inference.spts.ltp.LowRankProxyFile;
import dev.sptsrag.inference.spts.ltp.SyntheticLowRankProxy;

import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** The {@code --ltp} option: which LTP proxy an engine uses for FFN skipping. */
final class LowRankProxyOption {
    private LowRankProxyOption() {
    }

    static void apply(String value, LoadedModel loaded, InferenceEngine engine, PrintWriter log) {
        String v = value.trim();
        LowRankProxy proxy = switch (v.toLowerCase(Locale.ROOT)) {
            case "none" -> null;
            case "auto" -> {
                if (loaded.path() == null) {
                    yield null;
                }
                Path beside = LowRankProxyFile.defaultPath(loaded.path());
                yield Files.isRegularFile(beside) ? LowRankProxyFile.read(beside, loaded) : null;
            }
            case "synthetic" -> {
                if (loaded.path() != null) {
                    throw new IllegalArgumentException("--ltp synthetic is for presets (synthetic weights); calibrate a "
                            + "real model with: spts calibrate MODEL --text FILE");
                }
                yield SyntheticLowRankProxy.of(loaded.config(), loaded.weights(), 1);
            }
            default -> LowRankProxyFile.read(Path.of(v), loaded);
        };
        boolean used = engine.useLowRankProxy(proxy);
        log.println(proxy == null ? "LTP proxy: none (FFN rows ranked by the attention probe)"
                : !used ? "LTP proxy: " + proxy.shape() + " not used: this backend lacks LTP on the device (FFN rows "
                        + "ranked by the attention probe)"
                : "LTP proxy: " + proxy.shape() + (v.equalsIgnoreCase("synthetic") ? " (synthetic factors)" : ""));
    }
}
