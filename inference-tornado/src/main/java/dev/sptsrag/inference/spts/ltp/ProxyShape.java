package dev.sptsrag.inference.spts.ltp;

import dev.sptsrag.inference.model.ModelConfig;

/**
 * The sizes of an LTP proxy: the model's layer count, hidden and intermediate (FFN) widths, the kept
 * channels per layer ({@code D_low}), the factor rank {@code r}, and whether it holds the down
 * projection. Every per-layer array it implies fits a Java array.
 */
public record ProxyShape(int layers, int hidden, int intermediate, int channels, int rank, ProxyVariant variant) {
    /** The longest Java array the JVM reliably allocates. */
    static final long MAX_ARRAY = Integer.MAX_VALUE - 8;

    /** @throws IllegalArgumentException when a size is out of range (the message names it) */
    public ProxyShape {
        if (variant == null) {
            throw new IllegalArgumentException("proxy variant is missing");
        }
        require(layers >= 1, "layer count " + layers + " must be >= 1");
        require(hidden >= 1, "hidden size " + hidden + " must be >= 1");
        require(intermediate >= 1, "intermediate size " + intermediate + " must be >= 1");
        require(channels >= 1 && channels <= intermediate,
                "kept channels D_low = " + channels + " must be in 1.." + intermediate + " (the intermediate size)");
        require(rank >= 1 && rank <= Math.min(channels, hidden),
                "rank r = " + rank + " must be in 1.." + Math.min(channels, hidden) + " (min of D_low and hidden)");
        require((long) rank * hidden <= MAX_ARRAY && (long) channels * rank <= MAX_ARRAY
                && (long) hidden * channels <= MAX_ARRAY, "a per-layer array of " + channels + " × " + rank + " × "
                + hidden + " does not fit a Java array");
    }

    /** The shape of a proxy for {@code config}. */
    public static ProxyShape of(ModelConfig config, int channels, int rank, ProxyVariant variant) {
        return new ProxyShape(config.layerCount(), config.hiddenSize(), config.intermediateSize(), channels, rank,
                variant);
    }

    /** Whether this proxy fits a model of {@code config} (same layers and widths). */
    public boolean fits(ModelConfig config) {
        return layers == config.layerCount() && hidden == config.hiddenSize()
                && intermediate == config.intermediateSize();
    }

    /** Floats of one layer: two factor pairs and, when down-projected, W_down's kept columns. */
    public long floatsPerLayer() {
        return 2L * ((long) rank * hidden + (long) channels * rank)
                + (variant == ProxyVariant.DOWN_PROJECTED ? (long) hidden * channels : 0);
    }

    /** Bytes of one layer in the file: the channel indices (int32) and the floats (float32). */
    public long bytesPerLayer() {
        return 4L * channels + 4L * floatsPerLayer();
    }

    /** Multiply-adds to score one token row with {@code v} ({@code v} = INTERMEDIATE skips the down projection). */
    public long multiplyAddsPerRow(ProxyVariant v) {
        return 2L * ((long) hidden * rank + (long) rank * channels)
                + (v == ProxyVariant.DOWN_PROJECTED ? (long) channels * hidden : 0);
    }

    @Override
    public String toString() {
        return "D_low " + channels + ", r " + rank + ", " + variant.label() + " (" + layers + " layers, hidden " + hidden
                + ", intermediate " + intermediate + ")";
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
