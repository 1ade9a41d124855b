package dev.sptsrag.inference.backend;

/**
 * Integers on the backend that ops read: a paged cache's block tables and fill counts, a step's rows'
 * sequences. Written by {@link DeviceMemory#writeInts}; a backend may keep a host copy of what was written.
 */
public interface DeviceInts {
    String name();

    int capacity();
}
