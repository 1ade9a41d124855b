package dev.sptsrag.inference.spts.ltp;

import dev.sptsrag.inference.model.Architecture;
import dev.sptsrag.inference.model.ModelConfig;

/**
 * How a proxy is calibrated.
 *
 * @param channels        D_low, intermediate channels kept per layer
 * @param rank            r, rank of the gate and up factors
 * @param rho             the top fraction of saliency values whose mean ranks a channel (paper: 0.2)
 * @param variant         whether the proxy keeps W_down's columns ({@link ProxyVariant#DOWN_PROJECTED})
 * @param oversampling    extra random directions of the truncated SVD
 * @param powerIterations subspace iterations of the truncated SVD
 * @param seed            fixes the SVD's random test matrices (calibration is then deterministic)
 * @param saliencyBytes   memory for the saliency heaps of the layers observed in one pass over the
 *                        calibration tokens; when all layers do not fit, the tokens are run again for
 *                        the next group of layers
 */
public record CalibrationSettings(int channels, int rank, double rho, ProxyVariant variant, int oversampling,
                                  int powerIterations, long seed, long saliencyBytes) {
    /** The paper's Llama-3.1-8B setting as fractions: D_low = 512 of 14336 channels, r = 192 of 4096 widths. */
    private static final double LLAMA_CHANNELS = 512.0 / 14336, LLAMA_RANK = 192.0 / 4096;
    /** Qwen-2.5-7B: D_low = 1024 of 18944, r = 256 of 3584. */
    private static final double QWEN_CHANNELS = 1024.0 / 18944, QWEN_RANK = 256.0 / 3584;
    /** Below these the proxy has too little to rank with (small models are clamped up, then to their widths). */
    private static final int MIN_CHANNELS = 64, MIN_RANK = 32;

    public CalibrationSettings {
        if (channels < 1 || rank < 1 || rank > channels) {
            throw new IllegalArgumentException("need 1 <= r <= D_low, got D_low " + channels + ", r " + rank);
        }
        if (!(rho > 0 && rho <= 1)) {
            throw new IllegalArgumentException("rho " + rho + " must be in (0, 1]");
        }
        if (variant == null) {
            throw new IllegalArgumentException("proxy variant is missing");
        }
        if (oversampling < 0 || powerIterations < 0 || saliencyBytes < 1) {
            throw new IllegalArgumentException("oversampling, power iterations must be >= 0 and saliency memory >= 1");
        }
    }

    /**
     * The paper's (D_low, r) scaled to {@code config}: the Qwen-2.5-7B fractions for the Qwen families, the
     * Llama-3.1-8B ones otherwise (the family's {@link Architecture#skipPresetFamily}), rounded to multiples
     * of 32 (so both paper models get exactly their published values), at least 64 channels and rank 32, at
     * most the model's widths. ρ = 0.2, with the
     * down projection, oversampling 10, two subspace iterations, 2 GiB of saliency heaps.
     */
    public static CalibrationSettings paperDefaults(ModelConfig config) {
        boolean qwen = config.architecture().skipPresetFamily().equals("qwen");
        int channels = Math.min(config.intermediateSize(),
                Math.max(MIN_CHANNELS, round32(config.intermediateSize() * (qwen ? QWEN_CHANNELS : LLAMA_CHANNELS))));
        int rank = Math.min(Math.min(channels, config.hiddenSize()),
                Math.max(MIN_RANK, round32(config.hiddenSize() * (qwen ? QWEN_RANK : LLAMA_RANK))));
        return new CalibrationSettings(channels, rank, 0.2, ProxyVariant.DOWN_PROJECTED, 10, 2, 1, 2L << 30);
    }

    public CalibrationSettings withChannels(int d) {
        return new CalibrationSettings(d, Math.min(rank, d), rho, variant, oversampling, powerIterations, seed,
                saliencyBytes);
    }

    public CalibrationSettings withRank(int r) {
        return new CalibrationSettings(channels, r, rho, variant, oversampling, powerIterations, seed, saliencyBytes);
    }

    public CalibrationSettings withRho(double p) {
        return new CalibrationSettings(channels, rank, p, variant, oversampling, powerIterations, seed, saliencyBytes);
    }

    public CalibrationSettings withVariant(ProxyVariant v) {
        return new CalibrationSettings(channels, rank, rho, v, oversampling, powerIterations, seed, saliencyBytes);
    }

    public CalibrationSettings withSeed(long s) {
        return new CalibrationSettings(channels, rank, rho, variant, oversampling, powerIterations, s, saliencyBytes);
    }

    public CalibrationSettings withSaliencyBytes(long bytes) {
        return new CalibrationSettings(channels, rank, rho, variant, oversampling, powerIterations, seed, bytes);
    }

    /** The proxy shape for {@code config}; IllegalArgumentException when D_low or r exceed the model's widths. */
    public ProxyShape shapeFor(ModelConfig config) {
        return ProxyShape.of(config, channels, rank, variant);
    }

    private static int round32(double v) {
        return (int) Math.round(v / 32) * 32;
    }
}
