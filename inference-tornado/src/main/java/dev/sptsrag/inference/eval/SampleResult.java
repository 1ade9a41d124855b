package dev.sptsrag.inference.eval;

import dev.sptsrag.inference.decoder.PrefillFlops;

/**
 * One sample under one mode.
 *
 * @param sample          index of the sample in the evaluated set (the same index in every mode: paired)
 * @param task            its task
 * @param length          its target length
 * @param mode            the mode
 * @param promptTokens    the prompt's real token count
 * @param output          what the model answered
 * @param score           string_match_all, 0..1
 * @param ttftNanos       time to first token
 * @param flops           prefill FLOPs executed
 * @param fullFlops       prefill FLOPs of the full pass over the same prompt
 * @param attentionActive per layer, tokens whose attention ran (the prompt length where nothing was skipped)
 * @param kvFraction      KV cache kept against the full pass (1 without skipping)
 */
public record SampleResult(int sample, String task, int length, EvalMode mode, int promptTokens, String output,
                           double score, long ttftNanos, PrefillFlops flops, PrefillFlops fullFlops,
                           int[] attentionActive, double kvFraction) {

    public SampleResult {
        attentionActive = attentionActive.clone();
    }

    @Override
    public int[] attentionActive() {
        return attentionActive.clone();
    }
}
