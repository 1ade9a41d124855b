package dev.sptsrag.inference.backend;

/**
 * What a backend will hold, asked before anything is allocated, so that the engine can plan device
 * memory up front and refuse a model that does not fit with the plan in hand.
 */
public interface MemoryPlanning {
    /** Bytes this backend holds now for weights, caches, activations and workspace (device memory on a GPU). */
    long allocatedBytes();

    /** Bytes {@link DeviceMemory#uploadMatrix} will hold for a {@code rows × cols} weight. */
    long matrixBytes(int rows, int cols);

    /** Bytes {@link DeviceMemory#allocateActivations} will hold. */
    long activationBytes(int rows, int cols);

    /** Bytes {@link DeviceMemory#allocateKvBlockPool} will hold. */
    long kvBlockPoolBytes(int blocks, int blockSize, int kvDim);

    /** Bytes {@link DeviceMemory#allocateInts} will hold. */
    long intsBytes(int capacity);

    /** Bytes {@link DeviceMemory#allocatePositions} will hold. */
    long positionsBytes(int capacity);

    /**
     * Scratch the backend allocates for itself to run batches of up to {@code maxRows} tokens whose
     * widest activation has {@code maxCols} columns, with attention over up to {@code maxSlots} slots
     * of {@code headCount} heads of width {@code headDim}.
     */
    long workspaceBytes(int maxRows, int maxCols, int maxSlots, int headCount, int headDim);

    /** Memory free for this backend's allocations, or {@link Long#MAX_VALUE} where it is not bounded. */
    long availableBytes();

    /** The prefill batch (tokens per forward call) this backend runs best with. */
    int preferredBatch();
}
