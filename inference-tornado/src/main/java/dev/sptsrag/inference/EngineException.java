package dev.sptsrag.inference;

/** Base of the engine's typed errors: each subclass names one way a request or a file can fail. */
public class EngineException extends RuntimeException {
    public EngineException(String message) {
        super(message);
    }

    public EngineException(String message, Throwable cause) {
        super(message, cause);
    }
}
