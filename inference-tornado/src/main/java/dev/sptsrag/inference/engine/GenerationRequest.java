package dev.sptsrag.inference.engine;

import dev.sptsrag.inference.spts.SkipBudget;

/**
 * A prompt, already tokenized (BOS and chat formatting included), how to continue it, and how much of
 * the prefill SPTS may skip ({@link SkipBudget#OFF}: none).
 */
public record GenerationRequest(int[] promptTokens, SamplingOptions sampling, SkipBudget skipBudget) {

    public GenerationRequest(int[] promptTokens, SamplingOptions sampling) {
        this(promptTokens, sampling, SkipBudget.OFF);
    }

    public GenerationRequest {
        if (skipBudget == null) {
            throw new IllegalArgumentException("skip budget is required (SkipBudget.OFF for none)");
        }
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
