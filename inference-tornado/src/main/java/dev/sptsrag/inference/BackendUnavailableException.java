package dev.sptsrag.inference;

/** A compute backend cannot be used here: its native library or device is missing. */
public class BackendUnavailableException extends EngineException {
    public BackendUnavailableException(String message) {
        super(message);
    }

    public BackendUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
