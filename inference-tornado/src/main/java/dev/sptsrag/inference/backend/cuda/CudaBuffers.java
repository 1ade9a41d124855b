package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.backend.Activations;
import dev.sptsrag.inference.backend.DeviceInts;
import dev.sptsrag.inference.backend.DeviceMatrix;
import dev.sptsrag.inference.backend.DevicePositions;
import dev.sptsrag.inference.backend.DeviceVector;
import dev.sptsrag.inference.backend.KvBlockPool;
import dev.sptsrag.inference.backend.RotaryEmbedding;
import dev.sptsrag.inference.backend.RotaryTable;

/** The device-resident objects of the CUDA backend: plain device pointers with their shapes. */
final class CudaBuffers {
    private CudaBuffers() {
    }

    /** A BF16 weight matrix, row-major {@code [rows, cols]}. */
    record Matrix(String name, int rows, int cols, long ptr) implements DeviceMatrix {
        @Override
        public long bytes() {
            return (long) rows * cols * 2;
        }
    }

    /** A float32 vector. */
    record Vector(String name, int length, long ptr) implements DeviceVector {
    }

    /**
     * A float32 activation matrix. {@code version} counts writes, so a BF16 copy made for a GEMM can
     * be reused while the source is unchanged (Q, K and V projections share one conversion).
     */
    static final class Matrix32 implements Activations {
        final String name;
        final int rows;
        final int cols;
        final long ptr;
        long version;

        Matrix32(String name, int rows, int cols, long ptr) {
            this.name = name;
            this.rows = rows;
            this.cols = cols;
            this.ptr = ptr;
        }

        @Override
        public String name() { return name; }

        @Override
        public int rows() { return rows; }

        @Override
        public int cols() { return cols; }
    }

    /**
     * A paged cache's pool: keys and values in BF16, {@code [blocks × blockSize, kvDim]} each (block after block),
     * and the token position of every slot.
     */
    record KvPool(int blockCount, int blockSize, int kvDim, long keys, long values, long positions)
            implements KvBlockPool {
        /** Slots in the pool, which the allocation checked fit an int. */
        int slots() {
            return blockCount * blockSize;
        }

        /** log2 of the block size, which the kernels shift by. */
        int blockShift() {
            return Integer.numberOfTrailingZeros(blockSize);
        }

        @Override
        public long bytes() {
            return 2L * slots() * kvDim * 2 + 4L * slots();
        }
    }

    /**
     * {@code host.length} int32 values on the device and a copy of them on the host, both updated by each write:
     * the backend plans a step's launches from the host copy (which rows belong to which sequence, how many slots
     * each has) without reading the device.
     */
    record Ints(String name, long ptr, int[] host) implements DeviceInts {
        @Override
        public int capacity() { return host.length; }
    }

    /**
     * {@code capacity} int32 token positions on the device; {@code count} is how many the last write copied.
     * Ops pass {@code ptr} to their kernels as it is: nothing is copied per op.
     */
    static final class Positions implements DevicePositions {
        final String name;
        final int capacity;
        final long ptr;
        int count;

        Positions(String name, int capacity, long ptr) {
            this.name = name;
            this.capacity = capacity;
            this.ptr = ptr;
        }

        @Override
        public String name() { return name; }

        @Override
        public int capacity() { return capacity; }

        @Override
        public int count() { return count; }
    }

    /** Inverse frequencies on the device. */
    record Rotary(RotaryEmbedding rotary, long inverseFrequencies) implements RotaryTable {
    }
}
