package dev.sptsrag.inference.spts.ltp;

import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.decoder.DeviceModel;
import dev.sptsrag.inference.decoder.ForwardPass;
import dev.sptsrag.inference.decoder.KvCache;
import dev.sptsrag.inference.decoder.LayerObserver;
import dev.sptsrag.inference.model.LayerWeights;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.model.ModelWeights;
import dev.sptsrag.inference.tensor.Dequantizer;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Builds a {@link LowRankProxy} from calibration tokens, offline and without gradients (LTP, steps
 * 1–4 of the method):
 * <ol>
 *   <li>run the model over the token sequences and, through a {@link LayerObserver}, see every
 *       layer's SwiGLU activation {@code SiLU(x·W_gateᵀ) ⊙ (x·W_upᵀ)} of its FFN input x;</li>
 *   <li>channel importance = the mean of the top ρ fraction of {@code |activation|} over all tokens
 *       ({@link ChannelSaliency});</li>
 *   <li>keep the D_low most important channels (equal importance: the lower index);</li>
 *   <li>truncated SVD to rank r of {@code W_gate[kept, :]} and {@code W_up[kept, :]}
 *       ({@link TruncatedSvd}, float64), and W_down's kept columns for the down-projected variant.</li>
 * </ol>
 * The forward pass is the engine's own on whatever backend {@code model} lives on (the CLI uses the
 * float32 CPU backend); the weights to factor are decoded from the model file. When the saliency heaps
 * of all layers do not fit {@link CalibrationSettings#saliencyBytes}, the tokens are run once per group
 * of layers that does.
 */
public final class ProxyCalibrator {

    /** What a calibration reports as it goes (the CLI prints it). */
    public interface Listener {
        /** One run over all calibration tokens that ranked the channels of layers {@code [firstLayer, endLayer)}. */
        void pass(int firstLayer, int endLayer, long tokens, long nanos);

        /** Layer {@code report.layer()} is factored. */
        void layer(LayerReport report);

        Listener NONE = new Listener() {
            @Override
            public void pass(int firstLayer, int endLayer, long tokens, long nanos) {
            }

            @Override
            public void layer(LayerReport report) {
            }
        };
    }

    /**
     * @param gatherNanos      time to rank the channels and decode their gate, up (and down) weights
     * @param factorNanos      time of the two truncated SVDs
     * @param importanceKept   share of the summed channel importance that the kept channels hold
     * @param gateEnergy       {@code Σ_{i≤r} σᵢ² / ‖W_gate[kept,:]‖²_F}: how much of the kept gate rows rank r keeps
     * @param upEnergy         the same for W_up
     */
    public record LayerReport(int layer, long gatherNanos, long factorNanos, double importanceKept, double gateEnergy,
                              double upEnergy) {
    }

    private final CalibrationSettings settings;

    public ProxyCalibrator(CalibrationSettings settings) {
        this.settings = settings;
    }

    /**
     * Calibrates a proxy for the model whose file tensors are {@code weights} and whose device copy is
     * {@code model}, on {@code sequences} (each run from position 0 with an empty cache).
     *
     * @throws IllegalArgumentException when D_low or r exceed the model's widths, or a sequence is empty,
     *                                  too long for the model or holds a token outside the vocabulary
     */
    public LowRankProxy calibrate(ModelWeights weights, DeviceModel model, List<int[]> sequences, Listener listener) {
        ModelConfig config = model.config();
        ProxyShape shape = settings.shapeFor(config);
        long tokens = 0;
        int longest = 0;
        for (int[] s : sequences) {
            if (s.length == 0 || s.length > config.contextLength()) {
                throw new IllegalArgumentException("a calibration sequence of " + s.length + " tokens; each must have 1.."
                        + config.contextLength());
            }
            for (int t : s) {
                if (t < 0 || t >= config.vocabSize()) {
                    throw new IllegalArgumentException("token id " + t + " is outside the vocabulary (" + config.vocabSize() + ")");
                }
            }
            tokens += s.length;
            longest = Math.max(longest, s.length);
        }
        if (tokens == 0) {
            throw new IllegalArgumentException("no calibration tokens");
        }
        byte[] identity = ModelIdentity.of(config, weights);
        Backend backend = model.backend();
        int batch = Math.min(longest, backend.preferredBatch());
        ForwardPass pass = new ForwardPass(model, batch);
        KvCache cache = KvCache.forOneSequence(config, backend, longest);
        float[] activations = new float[batch * config.intermediateSize()];
        int[] chunk = new int[batch];
        int[] positions = new int[batch];

        long perLayer = ChannelSaliency.bytes(config.intermediateSize(), tokens, settings.rho());
        int group = (int) Math.max(1, Math.min(config.layerCount(), settings.saliencyBytes() / perLayer));
        List<LowRankProxy.Layer> layers = new ArrayList<>(config.layerCount());
        for (int first = 0; first < config.layerCount(); first += group) {
            int end = Math.min(config.layerCount(), first + group);
            ChannelSaliency[] saliency = new ChannelSaliency[end - first];
            for (int l = first; l < end; l++) {
                saliency[l - first] = new ChannelSaliency(config.intermediateSize(), tokens, settings.rho());
            }
            int from = first;
            pass.observe((layer, input, activation, rows) -> {
                if (layer >= from && layer < end) {
                    backend.readRows(activation, 0, rows, activations);
                    saliency[layer - from].add(activations, rows);
                }
            });
            long t0 = System.nanoTime();
            try {
                for (int[] sequence : sequences) {
                    run(pass, cache, sequence, chunk, positions);
                }
            } finally {
                pass.observe(null);
            }
            listener.pass(first, end, tokens, System.nanoTime() - t0);
            for (int l = first; l < end; l++) {
                layers.add(buildLayer(l, weights.layers().get(l), saliency[l - first].importance(), shape, listener));
                saliency[l - first] = null; // its heaps can go before the next layer's SVD
            }
        }
        return new LowRankProxy(shape, identity, (float) settings.rho(), tokens, layers);
    }

    /** One sequence from position 0, in batches. */
    private static void run(ForwardPass pass, KvCache cache, int[] sequence, int[] chunk, int[] positions) {
        cache.clear();
        int s = cache.open();
        for (int at = 0; at < sequence.length; at += chunk.length) {
            int n = Math.min(chunk.length, sequence.length - at);
            System.arraycopy(sequence, at, chunk, 0, n);
            for (int i = 0; i < n; i++) {
                positions[i] = at + i;
            }
            pass.forward(chunk, positions, n, s, cache);
        }
    }

    /** Steps 3 and 4 for one layer, from its channel importance. */
    LowRankProxy.Layer buildLayer(int layer, LayerWeights w, double[] importance, ProxyShape shape, Listener listener) {
        long t0 = System.nanoTime();
        int[] kept = topChannels(importance, shape.channels());
        double total = 0, kept2 = 0;
        for (double v : importance) {
            total += v;
        }
        for (int c : kept) {
            kept2 += importance[c];
        }
        int hidden = shape.hidden();
        int d = shape.channels();
        double[] gate = new double[d * hidden];
        double[] up = new double[d * hidden];
        float[] row = new float[Math.max(hidden, shape.intermediate())];
        for (int c = 0; c < d; c++) {
            Dequantizer.dequantizeRow(w.gate(), kept[c], row, 0);
            for (int i = 0; i < hidden; i++) {
                gate[c * hidden + i] = row[i];
            }
            Dequantizer.dequantizeRow(w.up(), kept[c], row, 0);
            for (int i = 0; i < hidden; i++) {
                up[c * hidden + i] = row[i];
            }
        }
        float[] down = null;
        if (shape.variant() == ProxyVariant.DOWN_PROJECTED) {
            down = new float[hidden * d];
            for (int i = 0; i < hidden; i++) {
                Dequantizer.dequantizeRow(w.down(), i, row, 0);
                for (int c = 0; c < d; c++) {
                    down[i * d + c] = row[kept[c]];
                }
            }
        }
        long t1 = System.nanoTime();
        long seed = settings.seed() * 0x9E3779B97F4A7C15L + 2L * layer;
        Factors g = factor(gate, d, hidden, shape.rank(), seed);
        Factors u = factor(up, d, hidden, shape.rank(), seed + 1);
        long t2 = System.nanoTime();
        listener.layer(new LayerReport(layer, t1 - t0, t2 - t1, total > 0 ? kept2 / total : 1, g.energy, u.energy));
        return new LowRankProxy.Layer(kept, g.projection, g.expansion, u.projection, u.expansion, down);
    }

    private record Factors(float[] projection, float[] expansion, double energy) {
    }

    /** {@code W (d × hidden) ≈ expansion · projection} with expansion = UΣ (d × r) and projection = Vᵀ (r × hidden). */
    private Factors factor(double[] w, int d, int hidden, int rank, long seed) {
        TruncatedSvd.Result svd = TruncatedSvd.compute(w, d, hidden, rank, settings.oversampling(),
                settings.powerIterations(), seed);
        float[] projection = new float[rank * hidden];
        for (int i = 0; i < projection.length; i++) {
            projection[i] = (float) svd.right()[i];
        }
        float[] expansion = new float[d * rank];
        double[] sigma = svd.singularValues();
        double kept = 0;
        for (int j = 0; j < rank; j++) {
            kept += sigma[j] * sigma[j];
        }
        for (int c = 0; c < d; c++) {
            for (int j = 0; j < rank; j++) {
                expansion[c * rank + j] = (float) (svd.left()[c * rank + j] * sigma[j]);
            }
        }
        double all = 0;
        for (double v : w) {
            all += v * v;
        }
        return new Factors(projection, expansion, all > 0 ? kept / all : 1);
    }

    /** The {@code count} channels of highest importance (ties: lower index first), in increasing order. */
    static int[] topChannels(double[] importance, int count) {
        Integer[] order = new Integer[importance.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, (a, b) -> {
            int byImportance = Double.compare(importance[b], importance[a]);
            return byImportance != 0 ? byImportance : Integer.compare(a, b);
        });
        int[] kept = new int[count];
        for (int i = 0; i < count; i++) {
            kept[i] = order[i];
        }
        Arrays.sort(kept);
        return kept;
    }
}
