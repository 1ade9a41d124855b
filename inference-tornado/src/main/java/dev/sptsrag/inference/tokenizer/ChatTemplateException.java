package dev.sptsrag.inference.tokenizer;

import dev.sptsrag.inference.EngineException;

/**
 * A chat template could not render a conversation: either the template itself refused it through
 * Hugging Face's {@code raise_exception(msg)} convention ({@link #raisedByTemplate()}: the request is
 * at fault, e.g. roles that do not alternate), or the template is broken or uses a construct the
 * renderer does not support (the model's files are at fault).
 */
public class ChatTemplateException extends EngineException {
    private final boolean raisedByTemplate;

    public ChatTemplateException(String message) {
        this(message, false);
    }

    public ChatTemplateException(String message, boolean raisedByTemplate) {
        super(message);
        this.raisedByTemplate = raisedByTemplate;
    }

    /** True when the template called {@code raise_exception}: the conversation, not the template, is wrong. */
    public boolean raisedByTemplate() {
        return raisedByTemplate;
    }
}
