package dev.sptsrag.inference.backend;

/**
 * Ops a backend may leave out, each with the fallback its callers take when {@link Backend#supports} says
 * no. A new backend can start with {@link DeviceMemory}, {@link DecoderOps}, {@link SamplingOps}, and the
 * row moves and probe of {@link RowSubsetOps}, and add these when it wants their speed.
 */
public enum OptionalOp {
    /**
     * {@link RowSubsetOps#gatherRmsNorm}, gather and norm in one pass. Without it the decoder block gathers
     * the rows ({@link RowSubsetOps#gatherRows}) and normalises them in place ({@link DecoderOps#rmsNorm}):
     * the same numbers (the contract of the fused op), one more pass over the rows.
     */
    GATHER_RMS_NORM,

    /**
     * The LTP proxy on the device: {@link RowSubsetOps#swigluHalves}, the scaled
     * {@link RowSubsetOps#rowNorms(Activations, int, float[], Activations)} and {@link RowSubsetOps#selectRows}.
     * Without them the engine does not use a proxy: SPTS ranks FFN rows by the attention probe alone, as it
     * does for a model with no calibrated proxy ({@code InferenceEngine.useLowRankProxy} says so).
     */
    LTP_ON_DEVICE
}
