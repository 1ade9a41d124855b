package dev.sptsrag.inference.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Objects;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * The {@code kernelParams} of {@code cuLaunchKernel}: a native array of pointers, entry {@code i}
 * pointing at an 8-byte slot that holds argument {@code i}. Made once per call site and refilled
 * before each launch, so launching allocates nothing. The driver copies the values at launch, so a
 * slot may be overwritten as soon as {@link CudaDriver#launch} returns. Not thread-safe.
 */
public final class KernelArgs {

    private static final long SLOT_BYTES = 8;

    private final int count;
    private final MemorySegment pointers;
    private final MemorySegment slots;

    /** {@code count} arguments, their memory taken from {@code arena} (which must outlive the launches). */
    public KernelArgs(Arena arena, int count) {
        if (count < 0) {
            throw new IllegalArgumentException("argument count must be >= 0: " + count);
        }
        this.count = count;
        this.pointers = arena.allocate(Math.max(1, count) * ADDRESS.byteSize(), ADDRESS.byteAlignment());
        this.slots = arena.allocate(Math.max(1, count) * SLOT_BYTES, SLOT_BYTES);
        for (int i = 0; i < count; i++) {
            pointers.setAtIndex(ADDRESS, i, slots.asSlice(i * SLOT_BYTES, SLOT_BYTES));
        }
    }

    public int count() {
        return count;
    }

    /** A 64-bit integer argument ({@code long}, {@code size_t}, {@code unsigned long long}). */
    public KernelArgs set(int i, long value) {
        slots.set(JAVA_LONG, slot(i), value);
        return this;
    }

    /** A 32-bit integer argument ({@code int}, {@code unsigned}). */
    public KernelArgs setInt(int i, int value) {
        slots.set(JAVA_INT, slot(i), value);
        return this;
    }

    public KernelArgs setFloat(int i, float value) {
        slots.set(JAVA_FLOAT, slot(i), value);
        return this;
    }

    /** A device pointer argument ({@code float*} and the like): a {@code CUdeviceptr}. */
    public KernelArgs setPointer(int i, long devicePointer) {
        slots.set(JAVA_LONG, slot(i), devicePointer);
        return this;
    }

    /** The {@code void**} passed as {@code kernelParams}. */
    public MemorySegment pointers() {
        return pointers;
    }

    private long slot(int i) {
        return Objects.checkIndex(i, count) * SLOT_BYTES;
    }
}
