package dev.sptsrag.inference.backend.cpu;

import dev.sptsrag.inference.backend.KvCacheLayer;

import java.lang.foreign.MemorySegment;

/** Keys and values in native memory ({@code capacity × kvDim} floats each) plus each slot's token position. */
record CpuKvCacheLayer(int capacity, int kvDim, MemorySegment keys, MemorySegment values, int[] positions)
        implements KvCacheLayer {
    @Override
    public long bytes() {
        return keys.byteSize() + values.byteSize();
    }
}
