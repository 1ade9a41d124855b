package dev.sptsrag.inference;

/** A well-formed model that this engine cannot run: unknown architecture, tensor type or feature. */
public class UnsupportedModelException extends EngineException {
    public UnsupportedModelException(String message) {
        super(message);
    }
}
