package dev.sptsrag.inference.backend;

/** A weight matrix {@code [rows = out, cols = in]} resident on a backend. */
public interface DeviceMatrix {
    String name();

    int rows();

    int cols();

    /** Bytes it takes on the device. */
    long bytes();
}
