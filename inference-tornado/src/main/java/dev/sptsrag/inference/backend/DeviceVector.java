package dev.sptsrag.inference.backend;

/** A float32 vector resident on a backend (norm scales, biases). */
public interface DeviceVector {
    String name();

    int length();
}
