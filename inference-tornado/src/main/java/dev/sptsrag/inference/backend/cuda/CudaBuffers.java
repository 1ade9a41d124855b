package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.backend.Activations;
import dev.sptsrag.inference.backend.DeviceMatrix;
import dev.sptsrag.inference.backend.DevicePositions;
import dev.sptsrag.inference.backend.DeviceVector;
import dev.sptsrag.inference.backend.KvCacheLayer;
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

    /** Keys and values in BF16, {@code [capacity, kvDim]} each, and the token position of every slot. */
    record KvLayer(int capacity, int kvDim, long keys, long values, long positions) implements KvCacheLayer {
        @Override
        public long bytes() {
            return 2L * capacity * kvDim * 2;
        }
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
