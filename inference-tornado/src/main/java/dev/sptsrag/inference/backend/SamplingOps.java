package dev.sptsrag.inference.backend;

/**
 * Choosing tokens where the logits are: one id or k candidates come back to the host instead of the
 * vocabulary's logits.
 */
public interface SamplingOps {
    /**
     * Index of the largest value in row {@code row} of {@code x} (the first on ties); -1 when any value
     * of the row is NaN or infinite. The scan that finds the maximum notices them for free, and only
     * broken weights produce them: no choice among such logits means anything.
     */
    int argmax(Activations x, int row);

    /**
     * The {@code k} largest values of row {@code row}, sorted descending (ties: smaller index first),
     * into {@code ids[0..k)} and {@code values[0..k)}. Lets decode copy candidates, not a whole
     * vocabulary, back from a device. When any value of the row is NaN or infinite, {@code ids[0]} is
     * -1 (as {@link #argmax}) and the other entries are unspecified.
     */
    void topK(Activations x, int row, int k, int[] ids, float[] values);
}
