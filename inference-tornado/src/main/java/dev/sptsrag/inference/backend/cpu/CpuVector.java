package dev.sptsrag.inference.backend.cpu;

import dev.sptsrag.inference.backend.DeviceVector;

/** A float32 vector on the Java heap. */
record CpuVector(String name, float[] values) implements DeviceVector {
    @Override
    public int length() {
        return values.length;
    }
}
