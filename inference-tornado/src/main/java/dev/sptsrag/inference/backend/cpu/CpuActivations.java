package dev.sptsrag.inference.backend.cpu;

import dev.sptsrag.inference.backend.Activations;

/** A row-major float32 activation matrix on the Java heap (small: one batch of tokens). */
record CpuActivations(String name, int rows, int cols, float[] data) implements Activations {
}
