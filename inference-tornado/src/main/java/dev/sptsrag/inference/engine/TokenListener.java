package dev.sptsrag.inference.engine;

/**
 * Receives generated text as it is produced. {@code text} holds only whole characters and never
 * text that may still turn out to be part of a stop string; it may be empty for a token that
 * completes no character yet. Return {@code false} to stop generating ({@link FinishReason#CANCELLED}).
 */
@FunctionalInterface
public interface TokenListener {
    boolean onToken(int tokenId, String text);

    TokenListener IGNORE = (id, text) -> true;
}
