package dev.sptsrag.inference.spts.ltp;

import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.decoder.DeviceModel;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.model.ModelPresets;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Calibration: its defaults, its channel choice, and that it does not depend on how it is split into passes. */
class ProxyCalibratorTest {

    @Test
    void defaultsAreThePapersSettingsForItsModelsAndClampedForSmallOnes() {
        CalibrationSettings llama = CalibrationSettings.paperDefaults(ModelPresets.get("llama-3.1-8b"));
        assertEquals(512, llama.channels());
        assertEquals(192, llama.rank());
        assertEquals(0.2, llama.rho());
        assertEquals(ProxyVariant.DOWN_PROJECTED, llama.variant());
        CalibrationSettings qwen = CalibrationSettings.paperDefaults(ModelPresets.get("qwen2.5-7b"));
        assertEquals(1024, qwen.channels());
        assertEquals(256, qwen.rank());
        CalibrationSettings small = CalibrationSettings.paperDefaults(ModelPresets.get("llama-3.2-1b"));
        assertEquals(288, small.channels());
        assertEquals(96, small.rank());
        for (String preset : ModelPresets.names()) {
            ModelConfig c = ModelPresets.get(preset);
            CalibrationSettings s = CalibrationSettings.paperDefaults(c);
            s.shapeFor(c); // fits every preset
            assertTrue(s.channels() <= c.intermediateSize() && s.rank() <= Math.min(s.channels(), c.hiddenSize()), preset);
        }
        assertThrows(IllegalArgumentException.class,
                () -> llama.withChannels(20000).shapeFor(ModelPresets.get("llama-3.1-8b")));
        assertThrows(IllegalArgumentException.class, () -> llama.withRank(600));
        assertThrows(IllegalArgumentException.class, () -> llama.withRho(1.5));
    }

    @Test
    void topChannelsPreferTheLowerIndexOnTiesAndComeOutSorted() {
        double[] importance = {0.5, 3, 1, 3, 0.2, 1, 7};
        assertArrayEquals(new int[] {1, 3, 6}, ProxyCalibrator.topChannels(importance, 3));
        assertArrayEquals(new int[] {1, 2, 3, 6}, ProxyCalibrator.topChannels(importance, 4));
        assertArrayEquals(new int[] {0, 1, 2, 3, 4, 5, 6}, ProxyCalibrator.topChannels(importance, 7));
    }

    @Test
    void oneLayerPerPassGivesTheSameProxyAsAllLayersInOne() {
        try (LoadedModel m = LoadedModel.synthetic("tiny-llama", 12); CpuBackend backend = new CpuBackend(2)) {
            ModelConfig c = m.config();
            DeviceModel device = DeviceModel.upload(c, m.weights(), backend, null);
            SplittableRandom random = new SplittableRandom(3);
            List<int[]> sequences = List.of(random.ints(50, 0, c.vocabSize()).toArray(),
                    random.ints(17, 0, c.vocabSize()).toArray(), random.ints(300, 0, c.vocabSize()).toArray());
            CalibrationSettings settings = CalibrationSettings.paperDefaults(c).withChannels(100).withRank(40);
            List<String> passes = new ArrayList<>();
            List<ProxyCalibrator.LayerReport> reports = new ArrayList<>();
            ProxyCalibrator.Listener listener = new ProxyCalibrator.Listener() {
                @Override
                public void pass(int firstLayer, int endLayer, long tokens, long nanos) {
                    passes.add(firstLayer + ".." + endLayer + ":" + tokens);
                }

                @Override
                public void layer(ProxyCalibrator.LayerReport report) {
                    reports.add(report);
                }
            };
            LowRankProxy together = new ProxyCalibrator(settings).calibrate(m.weights(), device, sequences, listener);
            assertEquals(List.of("0..3:367"), passes);
            long oneLayer = ChannelSaliency.bytes(c.intermediateSize(), 367, 0.2);
            LowRankProxy apart = new ProxyCalibrator(settings.withSaliencyBytes(oneLayer)).calibrate(m.weights(), device,
                    sequences, listener);
            assertEquals(List.of("0..3:367", "0..1:367", "1..2:367", "2..3:367"), passes);

            assertEquals(367, together.calibrationTokens());
            assertArrayEquals(ModelIdentity.of(c, m.weights()), together.modelIdentity());
            for (int l = 0; l < c.layerCount(); l++) {
                assertArrayEquals(together.layer(l).channels(), apart.layer(l).channels());
                assertArrayEquals(together.layer(l).gateProjection(), apart.layer(l).gateProjection());
                assertArrayEquals(together.layer(l).upExpansion(), apart.layer(l).upExpansion());
                assertArrayEquals(together.layer(l).down(), apart.layer(l).down());
                ProxyCalibrator.LayerReport r = reports.get(l);
                assertEquals(l, r.layer());
                assertTrue(r.importanceKept() > 100.0 / 320 && r.importanceKept() <= 1, "kept channels hold more than their share");
                assertTrue(r.gateEnergy() > 40.0 / 128 && r.gateEnergy() < 1 && r.upEnergy() > 40.0 / 128 && r.upEnergy() < 1,
                        "rank 40 of 128 keeps more than its share of the energy: " + r);
            }
            // The kept down columns are W_down's columns of the kept channels.
            float[] row = new float[c.intermediateSize()];
            dev.sptsrag.inference.tensor.Dequantizer.dequantizeRow(m.weights().layers().get(1).down(), 5, row, 0);
            int[] kept = together.layer(1).channels();
            for (int i = 0; i < kept.length; i++) {
                assertEquals(row[kept[i]], together.layer(1).down()[5 * kept.length + i]);
            }
        }
    }

    @Test
    void badSequencesAreRefused() {
        try (LoadedModel m = LoadedModel.synthetic("tiny-mistral", 1); CpuBackend backend = new CpuBackend(1)) {
            DeviceModel device = DeviceModel.upload(m.config(), m.weights(), backend, null);
            ProxyCalibrator calibrator = new ProxyCalibrator(CalibrationSettings.paperDefaults(m.config()));
            for (List<int[]> bad : List.of(List.<int[]>of(), List.of(new int[0]), List.of(new int[] {1, -1}),
                    List.of(new int[] {m.config().vocabSize()}))) {
                assertThrows(IllegalArgumentException.class,
                        () -> calibrator.calibrate(m.weights(), device, bad, ProxyCalibrator.Listener.NONE),
                        Arrays.deepToString(bad.toArray()));
            }
            ProxyCalibrator tooWide = new ProxyCalibrator(CalibrationSettings.paperDefaults(m.config()).withChannels(161));
            assertThrows(IllegalArgumentException.class, () -> tooWide.calibrate(m.weights(), device,
                    List.of(new int[] {1, 2}), ProxyCalibrator.Listener.NONE));
        }
    }
}
