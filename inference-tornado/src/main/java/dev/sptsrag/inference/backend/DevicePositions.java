package dev.sptsrag.inference.backend;

/**
 * Token positions held by a backend: the positions of one row set, written once per step with
 * {@link DeviceMemory#writePositions} and read by every op of that step ({@link DecoderOps#rope},
 * {@link DecoderOps#storeKv}, {@link DecoderOps#attention}, {@link RowSubsetOps#probeScores}). An explicit
 * handle, so that a GPU backend copies a step's positions once, when its owner says they changed, instead
 * of comparing every op's host array with the last one it uploaded. Allocated up front with
 * {@link DeviceMemory#allocatePositions}.
 */
public interface DevicePositions {
    String name();

    /** Most positions it holds. */
    int capacity();

    /** Positions written by the latest {@link DeviceMemory#writePositions} (0 before the first); ops read at most these. */
    int count();
}
