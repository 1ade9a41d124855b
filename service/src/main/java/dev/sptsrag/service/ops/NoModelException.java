package dev.sptsrag.service.ops;

/**
 * No model to load: none configured and no default found. A configuration problem, not a fault, so the
 * scheduler reports it in one log line (and in readiness) without a stack trace.
 */
public class NoModelException extends IllegalStateException {
    public NoModelException(String message) {
        super(message);
    }
}
