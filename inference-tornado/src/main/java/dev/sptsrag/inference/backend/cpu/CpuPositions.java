package dev.sptsrag.inference.backend.cpu;

import dev.sptsrag.inference.backend.DevicePositions;

/** Token positions on the heap: a copy of what the owner wrote, so a later change to its array is not seen. */
final class CpuPositions implements DevicePositions {
    private final String name;
    final int[] values;
    int count;

    CpuPositions(String name, int capacity) {
        this.name = name;
        this.values = new int[capacity];
    }

    @Override
    public String name() { return name; }

    @Override
    public int capacity() { return values.length; }

    @Override
    public int count() { return count; }
}
