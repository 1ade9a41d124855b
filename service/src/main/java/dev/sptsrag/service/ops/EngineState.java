package dev.sptsrag.service.ops;

/** Where the engine is in its life: readiness is {@link #READY} only. */
public enum EngineState {
    /** The model is being opened and uploaded to the device. */
    LOADING,
    /** Serving requests. */
    READY,
    /** Loading failed; the reason is in {@link EngineScheduler#failure()}. */
    FAILED,
    /** Shutting down: no new requests; queued ones drain or are rejected. */
    STOPPING,
    /** The engine is closed. */
    STOPPED
}
