package dev.sptsrag.inference.backend.cpu;

import dev.sptsrag.inference.backend.DeviceMatrix;

import java.lang.foreign.MemorySegment;

/** A float32 weight matrix in native memory, row-major {@code [rows, cols]} (little-endian). */
record CpuMatrix(String name, int rows, int cols, MemorySegment data) implements DeviceMatrix {
    @Override
    public long bytes() {
        return data.byteSize();
    }
}
