package dev.sptsrag.inference.model;

import java.util.Arrays;

/**
 * RoPE frequency scaling.
 * <ul>
 * <li>{@code NONE} leaves the base frequencies {@code theta^(-2i/d)} alone.</li>
 * <li>{@code LLAMA3} is Llama 3.1's piecewise rule: wavelengths shorter than
 * {@code originalContext / highFreqFactor} keep their frequency, longer than
 * {@code originalContext / lowFreqFactor} are divided by {@code factor}, and the band between is
 * interpolated smoothly.</li>
 * <li>{@code FREQUENCY_FACTORS} divides each pair's base frequency by a stored factor; it is how GGUF
 * files carry Llama 3.1 scaling (the {@code rope_freqs.weight} tensor).</li>
 * </ul>
 */
public record RopeScaling(Type type, double factor, double lowFreqFactor, double highFreqFactor, int originalContext,
                          float[] frequencyFactors) {

    public enum Type { NONE, LLAMA3, FREQUENCY_FACTORS }

    public static final RopeScaling NONE = new RopeScaling(Type.NONE, 1, 1, 1, 0, null);

    public RopeScaling {
        frequencyFactors = frequencyFactors == null ? null : frequencyFactors.clone();
    }

    public static RopeScaling llama3(double factor, double lowFreqFactor, double highFreqFactor, int originalContext) {
        if (!(factor > 0) || !(lowFreqFactor > 0) || !(highFreqFactor > lowFreqFactor) || originalContext <= 0) {
            throw new IllegalArgumentException("invalid llama3 rope scaling: factor=" + factor + " low=" + lowFreqFactor
                    + " high=" + highFreqFactor + " original=" + originalContext);
        }
        return new RopeScaling(Type.LLAMA3, factor, lowFreqFactor, highFreqFactor, originalContext, null);
    }

    public static RopeScaling frequencyFactors(float[] factors) {
        for (float f : factors) {
            if (!(f > 0) || !Float.isFinite(f)) {
                throw new IllegalArgumentException("rope frequency factors must be positive and finite: " + f);
            }
        }
        return new RopeScaling(Type.FREQUENCY_FACTORS, 1, 1, 1, 0, factors);
    }

    @Override
    public float[] frequencyFactors() {
        return frequencyFactors == null ? null : frequencyFactors.clone();
    }

    /**
     * The inverse frequency of rotation pair {@code i} (0 <= i < headDim/2). The base frequency is
     * computed in float32 as Hugging Face and llama.cpp do, so angles agree with their references.
     */
    public float inverseFrequency(int i, int headDim, double theta) {
        float base = (float) (1.0 / Math.pow(theta, (float) (2 * i) / headDim));
        return switch (type) {
            case NONE -> base;
            case FREQUENCY_FACTORS -> base / frequencyFactors[i];
            case LLAMA3 -> {
                double wavelength = 2 * Math.PI / base;
                double lowFreqWavelength = originalContext / lowFreqFactor;
                double highFreqWavelength = originalContext / highFreqFactor;
                if (wavelength < highFreqWavelength) {
                    yield base;
                }
                if (wavelength > lowFreqWavelength) {
                    yield (float) (base / factor);
                }
                double smooth = (originalContext / wavelength - lowFreqFactor) / (highFreqFactor - lowFreqFactor);
                yield (float) ((1 - smooth) * base / factor + smooth * base);
            }
        };
    }

    /** The factors a GGUF {@code rope_freqs.weight} tensor stores for this scaling (base / scaled). */
    public float[] toFrequencyFactors(int headDim, double theta) {
        float[] out = new float[headDim / 2];
        for (int i = 0; i < out.length; i++) {
            float base = (float) (1.0 / Math.pow(theta, (float) (2 * i) / headDim));
            out[i] = base / inverseFrequency(i, headDim, theta);
        }
        return out;
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof RopeScaling r && type == r.type && factor == r.factor && lowFreqFactor == r.lowFreqFactor
                && highFreqFactor == r.highFreqFactor && originalContext == r.originalContext
                && Arrays.equals(frequencyFactors, r.frequencyFactors);
    }

    @Override
    public int hashCode() {
        return type.hashCode() * 31 + Arrays.hashCode(frequencyFactors);
    }

    @Override
    public String toString() {
        return switch (type) {
            case NONE -> "none";
            case LLAMA3 -> "llama3(factor=" + factor + ", low=" + lowFreqFactor + ", high=" + highFreqFactor
                    + ", original=" + originalContext + ")";
            case FREQUENCY_FACTORS -> "frequency-factors[" + frequencyFactors.length + "]";
        };
    }
}
