package dev.sptsrag.inference.backend;

import dev.sptsrag.inference.tensor.WeightTensor;

/**
 * A backend's memory and transfers: weights placed once, activation and KV buffers allocated up front,
 * rows copied in, out and between buffers. The host may read results only through {@link #readRows} (or
 * the ops that say they wait), which orders them after the work issued before.
 */
public interface DeviceMemory {
    /** Places a 2-D weight {@code [out, in]} on the device, converting its element type as the backend chooses. */
    DeviceMatrix uploadMatrix(WeightTensor weight);

    /** Places a 1-D weight (a norm scale, a bias) on the device as float32. */
    DeviceVector uploadVector(WeightTensor weight);

    /** Places host floats on the device as a vector. */
    DeviceVector uploadVector(String name, float[] values);

    /** Allocates an activation matrix of {@code rows × cols} float32 values. */
    Activations allocateActivations(String name, int rows, int cols);

    /**
     * Allocates a paged cache's pool: {@code blocks} blocks of {@code blockSize} (a power of two) key/value slots of
     * width {@code kvDim}.
     */
    KvBlockPool allocateKvBlockPool(int blocks, int blockSize, int kvDim);

    /** Allocates room for {@code capacity} integers (zeros), which {@link #writeInts} fills. */
    DeviceInts allocateInts(String name, int capacity);

    /**
     * Copies {@code src[srcOffset .. srcOffset + count)} to entries {@code [dstOffset, dstOffset + count)} of
     * {@code dst}; ops issued later read them.
     */
    void writeInts(int[] src, int srcOffset, int count, DeviceInts dst, int dstOffset);

    /** Allocates room for {@code capacity} token positions, which {@link #writePositions} fills. */
    DevicePositions allocatePositions(String name, int capacity);

    /**
     * Copies {@code positions[0..count)} into {@code dst}, replacing what it held; every later op that reads
     * {@code dst} sees these until the next write. Ops read rows {@code [0, rows)} of it, so a step writes
     * before its first op and not again while the positions stay.
     */
    void writePositions(int[] positions, int count, DevicePositions dst);

    /** Uploads the rotary frequencies once; {@link DecoderOps#rope} uses them. */
    RotaryTable createRotaryTable(RotaryEmbedding rotary);

    /** Copies rows {@code [srcRow, srcRow + rows)} of {@code src} to rows starting at {@code dstRow} of {@code dst}. */
    void copyRows(Activations src, int srcRow, Activations dst, int dstRow, int rows);

    /** Copies {@code rows} host rows ({@code src}, row-major) into {@code x} starting at row {@code firstRow}. */
    void writeRows(float[] src, int rows, Activations x, int firstRow);

    /** Copies {@code rows} rows starting at {@code firstRow} to the host, row-major, waiting for pending work. */
    void readRows(Activations x, int firstRow, int rows, float[] dst);

    /** Returns when every op issued so far has finished (a device may run them asynchronously). */
    void synchronize();
}
