package dev.sptsrag.service.ops;

import org.springframework.ai.retry.TransientAiException;

/** The queue in front of the engine is full: retry later (HTTP 429 with {@code Retry-After}). */
public class EngineBusyException extends TransientAiException {
    private final int queueCapacity;
    private final long retryAfterSeconds;

    public EngineBusyException(int queueCapacity, long retryAfterSeconds) {
        super("the engine is busy: " + queueCapacity + " request" + (queueCapacity == 1 ? " is" : "s are")
                + " already waiting; retry in about " + retryAfterSeconds + " s");
        this.queueCapacity = queueCapacity;
        this.retryAfterSeconds = retryAfterSeconds;
    }

    public int queueCapacity() { return queueCapacity; }

    /** A hint for {@code Retry-After}: the recent mean request time times the requests ahead. */
    public long retryAfterSeconds() { return retryAfterSeconds; }
}
