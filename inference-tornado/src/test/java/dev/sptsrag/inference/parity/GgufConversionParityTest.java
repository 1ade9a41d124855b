package dev.sptsrag.inference.parity;

import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.convert.GgufConverter;
import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.model.RopeLayout;
import dev.sptsrag.inference.tensor.GgmlType;
import dev.sptsrag.inference.testing.Float64Reference;
import dev.sptsrag.inference.testing.LogitComparison;
import dev.sptsrag.inference.testing.ParityFixture;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The fixture models converted by our {@code convert} to GGUF and loaded back through the GGUF path
 * (llama.cpp tensor names, Q/K permuted for interleaved RoPE, llama3 scaling as rope_freqs, tokenizer
 * and template from metadata). Two checks per format:
 * <ol>
 * <li>Exactness of the GGUF path: the engine on the GGUF file against the float64 reference on the
 * same (rounded) weights, within 1e-4 of the largest logit, same argmax — any permutation, naming or
 * scaling mistake shows here whatever the precision.</li>
 * <li>Distance to transformers on the original weights, bounded per format by what rounding the
 * weights costs: F32 1e-3 (as the folder itself); F16 (11-bit mantissa, relative rounding ≤ 2^-11 per
 * weight) 1e-2; BF16 (8-bit mantissa, ≤ 2^-8) 5e-2; Q8_0 (per-block step max|w|/127, i.e. up to 2^-8
 * relative for the largest weight and much more for small ones; on these 3-layer random models it
 * reaches 4.9e-2) 1e-1. Argmax must agree wherever transformers' top-two margin exceeds twice the observed error at that position.</li>
 * </ol>
 */
class GgufConversionParityTest {

    static List<Arguments> cases() {
        List<Arguments> out = new ArrayList<>();
        for (String name : ParityFixture.NAMES) {
            out.add(Arguments.of(name, GgmlType.F32, 1e-3));
            out.add(Arguments.of(name, GgmlType.F16, 1e-2));
            out.add(Arguments.of(name, GgmlType.BF16, 5e-2));
            out.add(Arguments.of(name, GgmlType.Q8_0, 1e-1));
        }
        return out;
    }

    @ParameterizedTest(name = "{0} as {1}")
    @MethodSource("cases")
    void convertedModelMatches(String name, GgmlType type, double toleranceVsTransformers, @TempDir Path dir) throws Exception {
        ParityFixture fx = ParityFixture.load(name);
        Path gguf = dir.resolve(name + "-" + type + ".gguf");
        GgufConverter.convert(fx.folder(), gguf, type, msg -> { });
        try (LoadedModel model = LoadedModel.open(gguf)) {
            assertEquals(name.startsWith("qwen") ? RopeLayout.SPLIT_HALF : RopeLayout.INTERLEAVED, model.config().ropeLayout());
            // The tokenizer travelled in the metadata: the fixture's prompt encodes to the same ids.
            int[] promptIds = java.util.Arrays.copyOf(fx.sequence(), fx.promptLength());
            String text = model.tokenizer().decode(promptIds);
            assertArrayEquals(promptIds, model.tokenizer().encode(text), "prompt ids through the GGUF tokenizer");
            assertTrue(model.chatTemplate() != null, "chat template carried into GGUF");

            double[][] exact = new Float64Reference(model.config(), model.weights()).logits(fx.sequence());
            float[][] logits = new float[fx.sequence().length][model.config().vocabSize()];
            try (InferenceEngine engine = new InferenceEngine(model.config(), model.weights(), model.tokenizer(),
                    new CpuBackend(2), 128, 32, null)) {
                engine.allLogits(fx.sequence(), logits);
            }
            double worstExact = 0, worstHf = 0;
            int argmaxChecked = 0;
            for (int p = 0; p < logits.length; p++) {
                worstExact = Math.max(worstExact, LogitComparison.assertClose(name + " " + type + " vs float64, position " + p,
                        exact[p], logits[p], 1e-4));
                double[] ref = fx.referenceRow(p);
                double maxRef = 0, maxDiff = 0;
                for (int i = 0; i < ref.length; i++) {
                    maxRef = Math.max(maxRef, Math.abs(ref[i]));
                    maxDiff = Math.max(maxDiff, Math.abs(ref[i] - logits[p][i]));
                }
                worstHf = Math.max(worstHf, maxDiff / maxRef);
                assertTrue(maxDiff / maxRef <= toleranceVsTransformers, name + " " + type + " position " + p
                        + ": max|Δ|/max|ref| = " + maxDiff / maxRef);
                double margin = marginOfTopTwo(ref);
                if (margin > 2 * maxDiff) {
                    argmaxChecked++;
                    assertEquals(fx.argmax()[p], dev.sptsrag.inference.engine.Sampler.argmax(logits[p]),
                            name + " " + type + " argmax at position " + p);
                }
            }
            System.out.printf("%s %s: vs float64 %.2e, vs transformers %.2e, argmax checked at %d/%d positions%n",
                    name, type, worstExact, worstHf, argmaxChecked, logits.length);
            if (type == GgmlType.F32) {
                assertEquals(logits.length, argmaxChecked, "F32 must agree on every argmax");
            }
        }
    }

    private static double marginOfTopTwo(double[] v) {
        double a = Double.NEGATIVE_INFINITY, b = Double.NEGATIVE_INFINITY;
        for (double x : v) {
            if (x > a) {
                b = a;
                a = x;
            } else if (x > b) {
                b = x;
            }
        }
        return a - b;
    }
}
