package dev.sptsrag.inference.spts.ltp;

import java.util.List;
import java.util.Objects;

/**
 * LTP's proxy: per layer, a cheap predictor of how large each token's FFN update is, so the FFN can
 * run on the tokens whose update matters most (SPTS scores {@code ‖f(x)‖ · S_MHA}).
 *
 * <p>For a layer with kept intermediate channels {@code K} (D_low of them) and rank r, in the
 * model's {@code [out, in]} orientation:
 * <pre>
 *   W_gate[K, :]  ≈  gateExpansion · gateProjection        (D_low × r)·(r × hidden)
 *   W_up[K, :]    ≈  upExpansion · upProjection
 *   down          =  W_down[:, K]                           (hidden × D_low)
 *   f(x) = down · (SiLU(gateExpansion·(gateProjection·x)) ⊙ (upExpansion·(upProjection·x)))
 * </pre>
 * In the paper's row-vector notation {@code x·W} with {@code W = W_gate[K,:]ᵀ ≈ U·V}, U (hidden × r)
 * is {@code gateProjectionᵀ} and V (r × D_low) is {@code gateExpansionᵀ}. The expansion carries the
 * singular values ({@code U_svd·Σ}); the projection has orthonormal rows ({@code V_svdᵀ}). Scoring a
 * row costs {@code 2·(hidden·r + r·D_low)} multiply-adds, plus {@code D_low·hidden} with the down
 * projection, against {@code 3·hidden·intermediate} for the FFN itself.
 *
 * <p>x is the FFN input: the post-attention RMSNorm output of the token, as the FFN sees it.
 * Immutable once built; the arrays are shared, not copied, and must not be modified.
 */
public final class LowRankProxy {
    /** Rows scored together, so that each weight row is read from memory once per tile, not once per row. */
    private static final int TILE = 8;

    /**
     * One layer, row-major, {@code [out, in]} like the model's weights.
     *
     * @param channels       the kept intermediate channels, strictly increasing
     * @param gateProjection {@code r × hidden}
     * @param gateExpansion  {@code D_low × r}
     * @param upProjection   {@code r × hidden}
     * @param upExpansion    {@code D_low × r}
     * @param down           {@code hidden × D_low}: W_down's kept columns; null for {@link ProxyVariant#INTERMEDIATE}
     */
    public record Layer(int[] channels, float[] gateProjection, float[] gateExpansion, float[] upProjection,
                        float[] upExpansion, float[] down) {
    }

    private final ProxyShape shape;
    private final byte[] modelIdentity;
    private final float rho;
    private final long calibrationTokens;
    private final List<Layer> layers;

    /**
     * @param modelIdentity     {@link ModelIdentity} of the model it was calibrated on
     * @param rho               the top fraction of saliency values that ranked the channels
     * @param calibrationTokens tokens the channels were ranked on
     * @throws IllegalArgumentException when an array does not match the shape, a channel index is out
     *                                  of order or range, or a value is not finite
     */
    public LowRankProxy(ProxyShape shape, byte[] modelIdentity, float rho, long calibrationTokens, List<Layer> layers) {
        this.shape = Objects.requireNonNull(shape, "shape");
        if (modelIdentity == null || modelIdentity.length != ModelIdentity.BYTES) {
            throw new IllegalArgumentException("model identity must be " + ModelIdentity.BYTES + " bytes");
        }
        if (!(rho > 0 && rho <= 1)) {
            throw new IllegalArgumentException("rho " + rho + " must be in (0, 1]");
        }
        if (calibrationTokens < 1) {
            throw new IllegalArgumentException("calibration tokens " + calibrationTokens + " must be >= 1");
        }
        if (layers.size() != shape.layers()) {
            throw new IllegalArgumentException(layers.size() + " layers, shape says " + shape.layers());
        }
        for (int l = 0; l < layers.size(); l++) {
            check(shape, l, layers.get(l));
        }
        this.modelIdentity = modelIdentity.clone();
        this.rho = rho;
        this.calibrationTokens = calibrationTokens;
        this.layers = List.copyOf(layers);
    }

    private static void check(ProxyShape s, int l, Layer layer) {
        String where = "layer " + l + ": ";
        int[] channels = layer.channels();
        length(where + "channels", channels == null ? -1 : channels.length, s.channels());
        for (int i = 0; i < channels.length; i++) {
            if (channels[i] < 0 || channels[i] >= s.intermediate() || (i > 0 && channels[i] <= channels[i - 1])) {
                throw new IllegalArgumentException(where + "kept channel " + i + " = " + channels[i]
                        + " is out of range 0.." + (s.intermediate() - 1) + " or not increasing");
            }
        }
        finite(where + "gateProjection", layer.gateProjection(), s.rank() * s.hidden());
        finite(where + "gateExpansion", layer.gateExpansion(), s.channels() * s.rank());
        finite(where + "upProjection", layer.upProjection(), s.rank() * s.hidden());
        finite(where + "upExpansion", layer.upExpansion(), s.channels() * s.rank());
        if (s.variant() == ProxyVariant.DOWN_PROJECTED) {
            finite(where + "down", layer.down(), s.hidden() * s.channels());
        } else if (layer.down() != null) {
            throw new IllegalArgumentException(where + "an intermediate-variant proxy holds no down projection");
        }
    }

    private static void finite(String what, float[] values, int expected) {
        length(what, values == null ? -1 : values.length, expected);
        for (int i = 0; i < values.length; i++) {
            if (!Float.isFinite(values[i])) {
                throw new IllegalArgumentException(what + "[" + i + "] is " + values[i]);
            }
        }
    }

    private static void length(String what, int actual, int expected) {
        if (actual != expected) {
            throw new IllegalArgumentException(what + " has " + (actual < 0 ? "no array" : actual + " values")
                    + ", expected " + expected);
        }
    }

    public ProxyShape shape() { return shape; }

    /** The SHA-256 identity of the model it was calibrated on (a copy). */
    public byte[] modelIdentity() { return modelIdentity.clone(); }

    public float rho() { return rho; }

    public long calibrationTokens() { return calibrationTokens; }

    /** Layer {@code l}'s arrays (shared: do not modify). */
    public Layer layer(int l) { return layers.get(l); }

    /**
     * The same proxy scoring with {@code variant}: INTERMEDIATE drops the down projection (smaller,
     * cheaper); a proxy without one cannot become DOWN_PROJECTED.
     */
    public LowRankProxy withVariant(ProxyVariant variant) {
        if (variant == shape.variant()) {
            return this;
        }
        if (variant == ProxyVariant.DOWN_PROJECTED) {
            throw new IllegalArgumentException("this proxy holds no down projection; calibrate with variant down");
        }
        ProxyShape s = new ProxyShape(shape.layers(), shape.hidden(), shape.intermediate(), shape.channels(),
                shape.rank(), variant);
        return new LowRankProxy(s, modelIdentity, rho, calibrationTokens, layers.stream()
                .map(l -> new Layer(l.channels(), l.gateProjection(), l.gateExpansion(), l.upProjection(),
                        l.upExpansion(), null))
                .toList());
    }

    /** {@link #norms(int, float[], int, float[], ProxyVariant)} with this proxy's own variant. */
    public float[] norms(int layer, float[] rows, int count, float[] out) {
        return norms(layer, rows, count, out, shape.variant());
    }

    /**
     * Predicted update norms of {@code count} tokens at {@code layer}: {@code out[i] = ‖f(x_i)‖}.
     * Allocates its scratch once per call (a few rows' worth), never per row.
     *
     * @param rows    FFN inputs, row-major {@code count × hidden}
     * @param variant DOWN_PROJECTED (needs a proxy that holds W_down's columns) or INTERMEDIATE
     * @return {@code out}
     */
    public float[] norms(int layer, float[] rows, int count, float[] out, ProxyVariant variant) {
        Objects.checkIndex(layer, shape.layers());
        int hidden = shape.hidden();
        if (count < 0 || (long) count * hidden > rows.length || count > out.length) {
            throw new IllegalArgumentException(count + " rows do not fit " + rows.length + " inputs of width " + hidden
                    + " or " + out.length + " outputs");
        }
        if (variant == ProxyVariant.DOWN_PROJECTED && shape.variant() != ProxyVariant.DOWN_PROJECTED) {
            throw new IllegalArgumentException("this proxy holds no down projection");
        }
        Layer w = layers.get(layer);
        int r = shape.rank();
        int d = shape.channels();
        float[] gateLow = new float[TILE * r];
        float[] upLow = new float[TILE * r];
        float[] activation = new float[TILE * d];
        double[] squares = new double[TILE];
        for (int start = 0; start < count; start += TILE) {
            int tile = Math.min(TILE, count - start);
            // x → rank-r coordinates, for gate and up
            for (int j = 0; j < r; j++) {
                for (int t = 0; t < tile; t++) {
                    int x = (start + t) * hidden;
                    gateLow[t * r + j] = DenseKernels.dot(w.gateProjection(), j * hidden, rows, x, hidden);
                    upLow[t * r + j] = DenseKernels.dot(w.upProjection(), j * hidden, rows, x, hidden);
                }
            }
            // → the kept channels: SiLU(gate) ⊙ up
            for (int c = 0; c < d; c++) {
                for (int t = 0; t < tile; t++) {
                    float g = DenseKernels.dot(w.gateExpansion(), c * r, gateLow, t * r, r);
                    float u = DenseKernels.dot(w.upExpansion(), c * r, upLow, t * r, r);
                    activation[t * d + c] = (float) (g / (1 + Math.exp(-g))) * u;
                }
            }
            java.util.Arrays.fill(squares, 0);
            if (variant == ProxyVariant.INTERMEDIATE) {
                for (int t = 0; t < tile; t++) {
                    squares[t] = DenseKernels.dot(activation, t * d, activation, t * d, d);
                }
            } else {
                for (int i = 0; i < hidden; i++) {
                    for (int t = 0; t < tile; t++) {
                        double y = DenseKernels.dot(w.down(), i * d, activation, t * d, d);
                        squares[t] += y * y;
                    }
                }
            }
            for (int t = 0; t < tile; t++) {
                out[start + t] = (float) Math.sqrt(squares[t]);
            }
        }
        return out;
    }
}
