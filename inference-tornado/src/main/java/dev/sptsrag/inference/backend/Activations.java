package dev.sptsrag.inference.backend;

/** A float32 activation matrix with one row per token, allocated for at most {@link #rows()} tokens. */
public interface Activations {
    String name();

    int rows();

    int cols();
}
