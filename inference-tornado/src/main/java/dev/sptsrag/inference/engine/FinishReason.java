package dev.sptsrag.inference.engine;

/** Why generation ended. */
public enum FinishReason {
    /** An end-of-generation token or a stop string. */
    STOP,
    /** The token limit, or the context window, was reached. */
    LENGTH,
    /** The listener asked to stop (client gone, request cancelled). */
    CANCELLED
}
