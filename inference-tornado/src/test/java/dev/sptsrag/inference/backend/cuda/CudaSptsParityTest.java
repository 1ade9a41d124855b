package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.decoder.DeviceModel;
import dev.sptsrag.inference.engine.GenerationRequest;
import dev.sptsrag.inference.engine.GenerationResult;
import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.engine.SamplingOptions;
import dev.sptsrag.inference.engine.TokenListener;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.spts.SkipBudget;
import dev.sptsrag.inference.spts.SkipMode;
import dev.sptsrag.inference.spts.SkipStatistics;
import dev.sptsrag.inference.spts.ltp.CalibrationSettings;
import dev.sptsrag.inference.spts.ltp.LowRankProxy;
import dev.sptsrag.inference.spts.ltp.ProxyCalibrator;
import dev.sptsrag.inference.tensor.GgmlType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * SPTS on the GPU against SPTS on the CPU, same weights (BF16 presets), same budget: the selected token
 * sets agree except where probe scores tie within the GPU's BF16 rounding, the KV caches hold the
 * planned slots, and the logits after the prompt agree within {@value #TOLERANCE} of the largest.
 */
class CudaSptsParityTest {
    static final double TOLERANCE = 5e-2;
    static final double MIN_OVERLAP = 0.9;

    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-hd128", "tiny-qwen2-hd64", "tiny-llama", "tiny-mistral", "tiny-qwen3"})
    void gpuSptsMatchesCpuSpts(String preset) {
        compare(preset, false);
    }

    /**
     * With an LTP proxy (calibrated on the CPU, the paper's defaults scaled to the preset): the GPU scores
     * and chooses the FFN rows on the device (fused proxy GEMMs, select_top_rows), the CPU on the host.
     */
    @ParameterizedTest
    @ValueSource(strings = {"tiny-llama-hd128", "tiny-qwen2-hd64", "tiny-llama", "tiny-mistral", "tiny-qwen3"})
    void gpuSptsWithLtpMatchesCpuSpts(String preset) {
        compare(preset, true);
    }

    /**
     * An SPTS prefill takes the whole prompt at once, so its rows outnumber a prefill batch's: what it
     * allocates (its buffers, the proxy's, and the wider BF16 GEMM input and row indices) must have been
     * in the engine's memory plan before the first request. A batch of 64 rows against a 408-token
     * context makes that growth visible.
     */
    @Test
    void anSptsPrefillStaysWithinThePlannedDeviceMemory() {
        try (LoadedModel m = LoadedModel.synthetic("tiny-llama", 11, GgmlType.BF16)) {
            ModelConfig c = m.config();
            int n = 400;
            int[] prompt = new SplittableRandom(5).ints(n, 0, c.vocabSize()).toArray();
            SkipBudget budget = new SkipBudget(SkipMode.SPTS, 1, new int[] {2}, new int[] {160}, 100, 1, 2);
            try (InferenceEngine e = new InferenceEngine(c, m.weights(), null, CudaTesting.open(), n + 8, 64, null)) {
                e.useLowRankProxy(calibrate(m));
                run(e, prompt, budget, new float[c.vocabSize()]);
                long held = e.backend().allocatedBytes();
                long planned = e.memoryPlan().totalBytes();
                System.out.printf("tiny-llama SPTS with LTP: %d bytes held, %d planned%n", held, planned);
                assertTrue(held <= planned, "held " + held + " bytes, planned " + planned + ": " + e.memoryPlan());
            }
        }
    }

    private static void compare(String preset, boolean ltp) {
        try (LoadedModel m = LoadedModel.synthetic(preset, 11, GgmlType.BF16)) {
            ModelConfig c = m.config();
            LowRankProxy proxy = ltp ? calibrate(m) : null;
            int n = 400;
            int[] prompt = new SplittableRandom(5).ints(n, 0, c.vocabSize()).toArray();
            SkipBudget budget = new SkipBudget(SkipMode.SPTS, 1, new int[] {2},
                    new int[] {160}, 100, 1, 2);
            float[] cpuLogits = new float[c.vocabSize()];
            float[] gpuLogits = new float[c.vocabSize()];
            SkipStatistics cpu;
            SkipStatistics gpu;
            try (InferenceEngine e = new InferenceEngine(c, m.weights(), null, new CpuBackend(), n + 8, 0, null)) {
                e.useLowRankProxy(proxy);
                cpu = run(e, prompt, budget, cpuLogits);
            }
            try (InferenceEngine e = new InferenceEngine(c, m.weights(), null, CudaTesting.open(), n + 8, 0, null)) {
                e.useLowRankProxy(proxy);
                gpu = run(e, prompt, budget, gpuLogits);
                for (int l = 0; l < c.layerCount(); l++) {
                    assertEquals(cpu.attentionActive()[l], e.cache().filled(e.sequence(), l), preset + " layer " + l + " KV slots");
                }
            }
            for (int l = 0; l < c.layerCount(); l++) {
                double att = overlap(cpu.attentionTokens(l), gpu.attentionTokens(l));
                double ffn = overlap(cpu.ffnTokens(l), gpu.ffnTokens(l));
                System.out.printf("%s%s layer %d: attention set overlap %.4f, FFN set overlap %.4f%n", preset,
                        ltp ? " (LTP)" : "", l, att, ffn);
                assertTrue(att >= MIN_OVERLAP && ffn >= MIN_OVERLAP, preset + " layer " + l + ": overlap " + att + "/" + ffn);
            }
            double max = 0, diff = 0;
            for (int i = 0; i < cpuLogits.length; i++) {
                assertTrue(Float.isFinite(gpuLogits[i]));
                max = Math.max(max, Math.abs(cpuLogits[i]));
                diff = Math.max(diff, Math.abs(cpuLogits[i] - gpuLogits[i]));
            }
            System.out.printf("%s%s: SPTS GPU vs CPU max|Δ|/max|ref| = %.2e%n", preset, ltp ? " (LTP)" : "", diff / max);
            assertTrue(diff <= TOLERANCE * max, preset + ": " + diff / max);
        }
    }

    private static LowRankProxy calibrate(LoadedModel m) {
        ModelConfig c = m.config();
        try (CpuBackend backend = new CpuBackend(2)) {
            DeviceModel model = DeviceModel.upload(c, m.weights(), backend, null);
            return new ProxyCalibrator(CalibrationSettings.paperDefaults(c)).calibrate(m.weights(), model,
                    List.of(new SplittableRandom(8).ints(128, 0, c.vocabSize()).toArray()), ProxyCalibrator.Listener.NONE);
        }
    }

    private static SkipStatistics run(InferenceEngine e, int[] prompt, SkipBudget budget, float[] logits) {
        GenerationResult r = e.generate(new GenerationRequest(prompt, SamplingOptions.greedy(1), budget),
                TokenListener.IGNORE);
        e.lastLogits(logits);
        return r.skipStatistics();
    }

    private static double overlap(int[] a, int[] b) {
        int common = 0;
        for (int t : a) {
            if (Arrays.binarySearch(b, t) >= 0) {
                common++;
            }
        }
        return a.length == 0 ? 1 : (double) common / a.length;
    }
}
