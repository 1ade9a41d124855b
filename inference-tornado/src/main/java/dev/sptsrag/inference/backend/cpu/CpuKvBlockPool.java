package dev.sptsrag.inference.backend.cpu;

import dev.sptsrag.inference.backend.KvBlockPool;

import java.lang.foreign.MemorySegment;

/**
 * Keys and values in native memory ({@code blocks × blockSize × kvDim} floats each, block after block) plus
 * each slot's token position.
 */
record CpuKvBlockPool(int blockCount, int blockSize, int kvDim, MemorySegment keys, MemorySegment values,
                      int[] positions) implements KvBlockPool {
    @Override
    public long bytes() {
        return keys.byteSize() + values.byteSize() + 4L * positions.length;
    }
}
