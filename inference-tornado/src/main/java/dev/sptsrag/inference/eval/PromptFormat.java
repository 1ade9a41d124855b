package dev.sptsrag.inference.eval;

import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.tokenizer.ChatTemplate;
import dev.sptsrag.inference.tokenizer.Tokenizer;

/**
 * How a sample becomes prompt tokens for one model: its chat template (when it has one), then its
 * tokenizer, exactly as {@code spts generate} does. Without a template the system message, a blank line
 * and the user's message are encoded as plain text after BOS.
 */
public final class PromptFormat {
    private final Tokenizer tokenizer;
    private final ChatTemplate template;

    public PromptFormat(Tokenizer tokenizer, ChatTemplate templateOrNull) {
        if (tokenizer == null) {
            throw new IllegalArgumentException("evaluation needs a model with a tokenizer (presets have none)");
        }
        this.tokenizer = tokenizer;
        this.template = templateOrNull;
    }

    public static PromptFormat of(LoadedModel model) {
        return new PromptFormat(model.tokenizer(), model.chatTemplate());
    }

    public boolean hasChatTemplate() { return template != null; }

    public Tokenizer tokenizer() { return tokenizer; }

    /** The prompt's text: the rendered template with the generation prompt. */
    public String render(TaskSample sample) {
        if (template == null) {
            return sample.system() == null ? sample.userMessage() : sample.system() + "\n\n" + sample.userMessage();
        }
        return template.render(sample.messages(), true);
    }

    /** The prompt's tokens (what the engine prefills). */
    public int[] tokens(TaskSample sample) {
        return template == null ? tokenizer.encode(render(sample), true) : tokenizer.encode(render(sample));
    }

    /** Tokens of a piece of text on its own (for planning a context; the whole prompt is counted at the end). */
    public int count(String text) {
        return tokenizer.encode(text).length;
    }
}
