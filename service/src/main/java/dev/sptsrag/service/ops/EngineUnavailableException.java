package dev.sptsrag.service.ops;

import org.springframework.ai.retry.TransientAiException;

/** The engine cannot take requests now: still loading, failed to load, or shutting down (HTTP 503). */
public class EngineUnavailableException extends TransientAiException {
    private final EngineState state;

    public EngineUnavailableException(EngineState state, String message, Throwable cause) {
        super(message, cause);
        this.state = state;
    }

    public EngineState state() { return state; }
}
