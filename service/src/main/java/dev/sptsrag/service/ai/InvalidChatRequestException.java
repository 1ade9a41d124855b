package dev.sptsrag.service.ai;

import org.springframework.ai.retry.NonTransientAiException;

/**
 * The request cannot run as given: an option out of range, an unknown skip preset, a message type the
 * model does not take, or a prompt longer than the context window (the cause is then the engine's
 * {@link dev.sptsrag.inference.ContextLengthExceededException} with the token counts). Retrying it
 * unchanged fails again.
 */
public class InvalidChatRequestException extends NonTransientAiException {
    public InvalidChatRequestException(String message) {
        super(message);
    }

    public InvalidChatRequestException(String message, Throwable cause) {
        super(message, cause);
    }
}
