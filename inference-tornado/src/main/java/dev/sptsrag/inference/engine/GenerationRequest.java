package dev.sptsrag.inference.engine;

/** A prompt, already tokenized (BOS and chat formatting included), and how to continue it. */
public record GenerationRequest(int[] promptTokens, SamplingOptions sampling) {
    public GenerationRequest {
        if (promptTokens == null || promptTokens.length == 0) {
            throw new IllegalArgumentException("the prompt must hold at least one token");
        }
        promptTokens = promptTokens.clone();
        if (sampling == null) {
            throw new IllegalArgumentException("sampling options are required");
        }
    }

    @Override
    public int[] promptTokens() {
        return promptTokens.clone();
    }
}
