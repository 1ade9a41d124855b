package dev.sptsrag.service.ai;

import org.springframework.ai.retry.NonTransientAiException;

/**
 * The request cannot run as given: an option out of range, an unknown skip preset, a message type the
 * model does not take, or a prompt longer than the context window (the cause is then the engine's
 * {@link dev.sptsrag.inference.ContextLengthExceededException} with the token counts). Retrying it
 * unchanged fails again.
 */
public class InvalidChatRequestException extends NonTransientAiException {
    private final String field;

    public InvalidChatRequestException(String message) {
        this(null, message, null);
    }

    public InvalidChatRequestException(String message, Throwable cause) {
        this(null, message, cause);
    }

    /** A problem with one option or part of the prompt, named as the option is ({@code skip}, {@code maxTokens}). */
    public InvalidChatRequestException(String field, String message, Throwable cause) {
        super(message, cause);
        this.field = field;
    }

    /** The option at fault, or null. */
    public String field() {
        return field;
    }
}
