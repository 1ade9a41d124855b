package dev.sptsrag.inference.spts.ltp;

import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.decoder.DeviceModel;
import dev.sptsrag.inference.decoder.ForwardPass;
import dev.sptsrag.inference.decoder.KvCache;
import dev.sptsrag.inference.model.LayerWeights;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.model.ModelPresets;
import dev.sptsrag.inference.tensor.Dequantizer;
import dev.sptsrag.inference.tensor.WeightTensor;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * How well the proxy ranks tokens by their true FFN update norm: Spearman's ρ between {@code ‖f(x)‖}
 * and {@code ‖FFN(x)‖} (float64, from the file's weights) on held-out tokens, per layer, for several
 * (D_low, r) and both variants, on the synthetic presets. Their weights are random, so no channel is
 * special and the numbers are a floor for what trained models give; the full-rank, all-channel proxy
 * with the down projection is the FFN itself and must rank (almost) perfectly.
 */
class ProxyRankCorrelationTest {
    private static final int CALIBRATION_SEQUENCES = 4, HELD_OUT_SEQUENCES = 2, LENGTH = 96;

    /** One row of the table: the floor is what the test demands of the layer mean (measured, minus a margin). */
    private record Case(String preset, int channels, int rank, ProxyVariant variant, double floor) {
    }

    @Test
    void proxyRanksHeldOutTokensLikeTheirTrueFfnNorms() {
        // Floors: the measured layer mean (deterministic seeds) minus 0.1, so a change that makes the
        // proxy rank worse fails while the vector width of the machine (summation order) does not matter.
        List<Case> cases = new ArrayList<>();
        cases.addAll(casesFor("tiny-llama", true, 0.75, 0.30, 0.34, 0.44, 0.39, 0.20, 0.20, 0.22, 0.21));
        cases.addAll(casesFor("tiny-qwen2", true, 0.78, 0.36, 0.45, 0.54, 0.50, 0.30, 0.31, 0.38, 0.39));
        cases.addAll(casesFor("tiny-mistral", true, 0.78, 0.31, 0.50, 0.51, 0.49, 0.31, 0.30, 0.47, 0.46));
        // The full-rank SVDs of this wider model take seconds; its other rows are the informative ones.
        cases.addAll(casesFor("tiny-llama-hd128", false, 0, 0.28, 0.26, 0.48, 0.43, 0.14, 0.15, 0.03, 0.03));

        StringBuilder table = new StringBuilder(String.format("%n| model | D_low | r | variant | Spearman, mean of layers "
                + "| worst layer |%n|---|---|---|---|---|---|%n"));
        List<String> failures = new ArrayList<>();
        Fixture fixture = null;
        for (Case c : cases) {
            if (fixture == null || !fixture.preset.equals(c.preset())) {
                fixture = new Fixture(c.preset());
            }
            double[] perLayer = fixture.spearman(c.channels(), c.rank(), c.variant());
            double mean = Arrays.stream(perLayer).average().orElseThrow();
            double min = Arrays.stream(perLayer).min().orElseThrow();
            table.append(String.format("| %s | %d | %d | %s | %.4f | %.4f |%n", c.preset(), c.channels(), c.rank(),
                    c.variant().label(), mean, min));
            if (!(mean >= c.floor())) {
                failures.add(c + ": mean " + mean);
            }
        }
        System.out.println(table);
        assertTrue(failures.isEmpty(), "below the floor: " + failures);
    }

    /**
     * The (D_low, r, variant) rows of one model, with their floors in this order: all channels at full
     * rank (the exact FFN with the down projection: floor 0.999) without the down projection; all
     * channels at r = hidden/4; a quarter of the channels at full rank; half of both (down,
     * intermediate); a quarter of both (down, intermediate); the paper's defaults scaled to the model
     * (down, intermediate).
     */
    private static List<Case> casesFor(String preset, boolean fullRank, double... floors) {
        ModelConfig c = ModelPresets.get(preset);
        int i = c.intermediateSize(), h = c.hiddenSize();
        CalibrationSettings paper = CalibrationSettings.paperDefaults(c);
        ProxyVariant down = ProxyVariant.DOWN_PROJECTED, intermediate = ProxyVariant.INTERMEDIATE;
        List<Case> out = new ArrayList<>();
        if (fullRank) {
            out.add(new Case(preset, i, Math.min(i, h), down, 0.999));
            out.add(new Case(preset, i, Math.min(i, h), intermediate, floors[0]));
        }
        out.add(new Case(preset, i, h / 4, down, floors[1]));
        out.add(new Case(preset, i / 4, Math.min(i / 4, h), down, floors[2]));
        out.add(new Case(preset, i / 2, h / 2, down, floors[3]));
        out.add(new Case(preset, i / 2, h / 2, intermediate, floors[4]));
        out.add(new Case(preset, i / 4, h / 4, down, floors[5]));
        out.add(new Case(preset, i / 4, h / 4, intermediate, floors[6]));
        out.add(new Case(preset, paper.channels(), paper.rank(), down, floors[7]));
        out.add(new Case(preset, paper.channels(), paper.rank(), intermediate, floors[8]));
        return out;
    }

    /** A synthetic model with its calibration tokens, held-out FFN inputs and their true update norms. */
    private static final class Fixture {
        private final String preset;
        private final LoadedModel model;
        private final DeviceModel device;
        private final List<int[]> calibration = new ArrayList<>();
        private final float[][] heldOut;      // [layer] row-major FFN inputs
        private final double[][] trueNorms;   // [layer][row]
        private final int rows;

        private LowRankProxy proxy; // the last one calibrated: a variant of it costs no second calibration

        Fixture(String preset) {
            this.preset = preset;
            model = LoadedModel.synthetic(preset, 21);
            ModelConfig c = model.config();
            CpuBackend backend = new CpuBackend(2);
            device = DeviceModel.upload(c, model.weights(), backend, null);
            SplittableRandom random = new SplittableRandom(99);
            for (int s = 0; s < CALIBRATION_SEQUENCES; s++) {
                calibration.add(random.ints(LENGTH, 0, c.vocabSize()).toArray());
            }
            rows = HELD_OUT_SEQUENCES * LENGTH;
            heldOut = new float[c.layerCount()][rows * c.hiddenSize()];
            ForwardPass pass = new ForwardPass(device, LENGTH);
            KvCache cache = KvCache.forOneSequence(c, backend, LENGTH);
            int[] at = {0};
            float[] buffer = new float[LENGTH * c.hiddenSize()];
            pass.observe((layer, input, activation, n) -> {
                backend.readRows(input, 0, n, buffer);
                System.arraycopy(buffer, 0, heldOut[layer], at[0] * c.hiddenSize(), n * c.hiddenSize());
            });
            int[] positions = new int[LENGTH];
            for (int i = 0; i < LENGTH; i++) {
                positions[i] = i;
            }
            for (int s = 0; s < HELD_OUT_SEQUENCES; s++) {
                cache.reset(0);
                pass.forward(random.ints(LENGTH, 0, c.vocabSize()).toArray(), positions, LENGTH, 0, cache);
                at[0] += LENGTH;
            }
            trueNorms = new double[c.layerCount()][];
            for (int l = 0; l < c.layerCount(); l++) {
                trueNorms[l] = ffnNorms(model.weights().layers().get(l), heldOut[l], rows, c);
            }
        }

        double[] spearman(int channels, int rank, ProxyVariant variant) {
            if (proxy == null || proxy.shape().channels() != channels || proxy.shape().rank() != rank) {
                CalibrationSettings settings = CalibrationSettings.paperDefaults(model.config()).withChannels(channels)
                        .withRank(rank).withVariant(ProxyVariant.DOWN_PROJECTED);
                proxy = new ProxyCalibrator(settings).calibrate(model.weights(), device, calibration,
                        ProxyCalibrator.Listener.NONE);
            }
            double[] out = new double[model.config().layerCount()];
            float[] predicted = new float[rows];
            for (int l = 0; l < out.length; l++) {
                proxy.norms(l, heldOut[l], rows, predicted, variant);
                double[] p = new double[rows];
                for (int i = 0; i < rows; i++) {
                    p[i] = predicted[i];
                }
                out[l] = Spearman.of(p, trueNorms[l]);
            }
            return out;
        }
    }

    /** ‖W_down·(SiLU(W_gate·x) ⊙ (W_up·x))‖ per row, in float64. */
    static double[] ffnNorms(LayerWeights w, float[] x, int rows, ModelConfig c) {
        int hidden = c.hiddenSize(), inter = c.intermediateSize();
        double[][] gate = matrix(w.gate(), inter, hidden);
        double[][] up = matrix(w.up(), inter, hidden);
        double[][] down = matrix(w.down(), hidden, inter);
        double[] norms = new double[rows];
        double[] a = new double[inter];
        for (int r = 0; r < rows; r++) {
            for (int j = 0; j < inter; j++) {
                double g = 0, u = 0;
                for (int i = 0; i < hidden; i++) {
                    g += gate[j][i] * x[r * hidden + i];
                    u += up[j][i] * x[r * hidden + i];
                }
                a[j] = g / (1 + Math.exp(-g)) * u;
            }
            double s = 0;
            for (int i = 0; i < hidden; i++) {
                double y = 0;
                for (int j = 0; j < inter; j++) {
                    y += down[i][j] * a[j];
                }
                s += y * y;
            }
            norms[r] = Math.sqrt(s);
        }
        return norms;
    }

    private static double[][] matrix(WeightTensor t, int rows, int cols) {
        double[][] m = new double[rows][cols];
        float[] row = new float[cols];
        for (int r = 0; r < rows; r++) {
            Dequantizer.dequantizeRow(t, r, row, 0);
            for (int i = 0; i < cols; i++) {
                m[r][i] = row[i];
            }
        }
        return m;
    }
}
