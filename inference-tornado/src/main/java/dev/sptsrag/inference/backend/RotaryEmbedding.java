package dev.sptsrag.inference.backend;

import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.model.RopeLayout;

/**
 * Rotary position embedding of one head: pair {@code i} (of {@code headDim / 2}) is rotated by
 * {@code position * inverseFrequencies[i]}. With {@link RopeLayout#SPLIT_HALF} pair {@code i} is
 * dimensions {@code (i, i + headDim/2)}; with {@link RopeLayout#INTERLEAVED}, {@code (2i, 2i + 1)}.
 */
public record RotaryEmbedding(int headDim, RopeLayout layout, float[] inverseFrequencies) {

    public RotaryEmbedding {
        if (inverseFrequencies.length != headDim / 2) {
            throw new IllegalArgumentException("need " + headDim / 2 + " frequencies, got " + inverseFrequencies.length);
        }
        inverseFrequencies = inverseFrequencies.clone();
    }

    public static RotaryEmbedding of(ModelConfig config) {
        float[] inv = new float[config.headDim() / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = config.ropeScaling().inverseFrequency(i, config.headDim(), config.ropeTheta());
        }
        return new RotaryEmbedding(config.headDim(), config.ropeLayout(), inv);
    }

    @Override
    public float[] inverseFrequencies() {
        return inverseFrequencies.clone();
    }

    /** Dimension index of the first and second element of pair {@code i}. */
    public int first(int i) {
        return layout == RopeLayout.SPLIT_HALF ? i : 2 * i;
    }

    public int second(int i) {
        return layout == RopeLayout.SPLIT_HALF ? i + headDim / 2 : 2 * i + 1;
    }
}
