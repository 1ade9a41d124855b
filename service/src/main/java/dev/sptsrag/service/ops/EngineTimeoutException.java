package dev.sptsrag.service.ops;

import org.springframework.ai.retry.TransientAiException;

import java.time.Duration;

/** A request outlived the scheduler's request timeout, waiting or generating; generation was stopped. */
public class EngineTimeoutException extends TransientAiException {
    public EngineTimeoutException(Duration timeout, boolean started) {
        super("the request took longer than the timeout of " + timeout.toMillis() + " ms"
                + (started ? "; generation was stopped" : " waiting for the engine"));
    }
}
