package dev.sptsrag.service.ops;

import dev.sptsrag.inference.engine.InferenceEngine;
import dev.sptsrag.inference.model.LoadedModel;

import java.time.Instant;

/**
 * A model opened from disk and the engine running it: what {@link EngineScheduler} owns. The model's
 * tokenizer and chat template are thread-safe and may be used by any thread; the engine only by the
 * scheduler's worker.
 *
 * @param modelId           the name the model is served under (OpenAI's {@code model} field)
 * @param loadedAt          when the engine became ready
 * @param longestTokenChars the most characters one token of the vocabulary stands for: a text of n characters
 *                          is at least n / longestTokenChars tokens, which bounds a prompt before it is tokenized
 */
public record LoadedEngine(String modelId, LoadedModel model, InferenceEngine engine, Instant loadedAt,
                           int longestTokenChars) implements AutoCloseable {

    public LoadedEngine(String modelId, LoadedModel model, InferenceEngine engine, Instant loadedAt) {
        this(modelId, model, engine, loadedAt, longestToken(model));
    }

    /**
     * Byte-level vocabularies spell each byte as one character, so a token's text is at least as long as
     * the characters it decodes to (a character is one or more bytes); special tokens count as written.
     */
    private static int longestToken(LoadedModel model) {
        var tokenizer = model.tokenizer();
        int longest = 1;
        for (int id = 0; id < tokenizer.vocabSize(); id++) {
            String text = tokenizer.tokenText(id);
            if (text != null) {
                longest = Math.max(longest, text.length());
            }
        }
        return longest;
    }

    /** The fewest tokens {@code chars} characters of text can take (before any chat template is added). */
    public long minimumTokens(long chars) {
        return (chars + longestTokenChars - 1) / longestTokenChars;
    }

    /** Frees the device memory, then unmaps the model file. */
    @Override
    public void close() {
        try {
            engine.close();
        } finally {
            model.close();
        }
    }
}
