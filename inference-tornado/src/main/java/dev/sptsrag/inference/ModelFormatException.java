package dev.sptsrag.inference;

/**
 * A model, tokenizer or proxy file is malformed: truncated, inconsistent, or out of the format's
 * bounds. Thrown before any native memory outside the file is touched.
 */
public class ModelFormatException extends EngineException {
    public ModelFormatException(String message) {
        super(message);
    }

    public ModelFormatException(String message, Throwable cause) {
        super(message, cause);
    }
}
