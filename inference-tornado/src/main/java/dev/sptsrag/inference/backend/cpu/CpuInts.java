package dev.sptsrag.inference.backend.cpu;

import dev.sptsrag.inference.backend.DeviceInts;

/** Integers on the heap: a copy of what the owner wrote, so a later change to its array is not seen. */
record CpuInts(String name, int[] values) implements DeviceInts {
    @Override
    public int capacity() { return values.length; }
}
