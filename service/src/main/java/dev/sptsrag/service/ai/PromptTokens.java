package dev.sptsrag.service.ai;

import org.springframework.ai.chat.messages.Message;

import java.util.List;

/**
 * How the served model reads a prompt, for callers that fit text into its context window (the RAG
 * service): the window, what a conversation costs in it, and the escaping that keeps untrusted text from
 * being read as control tokens. {@link SptsChatModel} implements it over the engine's tokenizer and chat
 * template, so callers need neither; until the model has loaded, each method fails as a request would (503).
 */
public interface PromptTokens {

    /** The model's context window, in tokens: prompt and answer together. */
    int contextLength();

    /**
     * The tokens {@code messages} take once rendered with the chat template, with the generation prompt: exactly
     * what the chat model counts for the same messages.
     */
    int count(List<Message> messages);

    /**
     * {@code untrusted} with every control token's text broken (a zero-width space after its first character),
     * so that it reads the same but cannot end a turn or open a forged one; text without any comes back as is.
     */
    String escapeControlTokens(String untrusted);
}
