package dev.sptsrag.inference.engine;

import java.util.List;
import java.util.Objects;

/**
 * How to pick each next token, and when to stop. Validated on construction; an invalid field is an
 * {@link InvalidSamplingOptionException} naming the field, the value and the allowed range.
 *
 * @param maxTokens          tokens to generate at most (≥ 1)
 * @param temperature        0 picks the most likely token (greedy); otherwise logits are divided by it
 * @param topK               keep the k most likely tokens (0: off)
 * @param topP               keep the smallest set whose probability reaches p (1: off)
 * @param minP               drop tokens less likely than {@code minP ×} the most likely one (0: off)
 * @param repetitionPenalty  divides positive (multiplies negative) logits of tokens already in the prompt
 *                           or the output (1: off), as in the CTRL paper and Hugging Face
 * @param presencePenalty    subtracted once from the logit of every token already generated (0: off)
 * @param frequencyPenalty   subtracted per occurrence from the logit of tokens already generated (0: off)
 * @param seed               random seed; the same seed and prompt give the same output (null: random)
 * @param stopStrings        generation stops before the first occurrence of any of these in the output
 */
public record SamplingOptions(int maxTokens, double temperature, int topK, double topP, double minP,
                              double repetitionPenalty, double presencePenalty, double frequencyPenalty, Long seed,
                              List<String> stopStrings) {

    public static final SamplingOptions GREEDY = new SamplingOptions(256, 0, 0, 1, 0, 1, 0, 0, 0L, List.of());

    public SamplingOptions {
        check(maxTokens >= 1, "maxTokens", maxTokens, ">= 1");
        check(temperature >= 0 && Double.isFinite(temperature), "temperature", temperature, "a finite value >= 0");
        check(topK >= 0, "topK", topK, ">= 0 (0 disables it)");
        check(topP > 0 && topP <= 1, "topP", topP, "in (0, 1]");
        check(minP >= 0 && minP < 1, "minP", minP, "in [0, 1)");
        check(repetitionPenalty > 0 && Double.isFinite(repetitionPenalty), "repetitionPenalty", repetitionPenalty,
                "a finite value > 0 (1 disables it)");
        check(presencePenalty >= -2 && presencePenalty <= 2, "presencePenalty", presencePenalty, "in [-2, 2]");
        check(frequencyPenalty >= -2 && frequencyPenalty <= 2, "frequencyPenalty", frequencyPenalty, "in [-2, 2]");
        stopStrings = List.copyOf(Objects.requireNonNullElse(stopStrings, List.of()));
        for (String s : stopStrings) {
            check(!s.isEmpty(), "stopStrings", "\"\"", "non-empty strings");
        }
    }

    public boolean greedy() {
        return temperature == 0;
    }

    public SamplingOptions withMaxTokens(int n) {
        return new SamplingOptions(n, temperature, topK, topP, minP, repetitionPenalty, presencePenalty,
                frequencyPenalty, seed, stopStrings);
    }

    public SamplingOptions withSeed(Long newSeed) {
        return new SamplingOptions(maxTokens, temperature, topK, topP, minP, repetitionPenalty, presencePenalty,
                frequencyPenalty, newSeed, stopStrings);
    }

    public SamplingOptions withStopStrings(List<String> stops) {
        return new SamplingOptions(maxTokens, temperature, topK, topP, minP, repetitionPenalty, presencePenalty,
                frequencyPenalty, seed, stops);
    }

    /** Greedy decoding of at most {@code maxTokens}. */
    public static SamplingOptions greedy(int maxTokens) {
        return GREEDY.withMaxTokens(maxTokens);
    }

    /** Sampling at {@code temperature} with the usual nucleus defaults (top-p 0.95). */
    public static SamplingOptions sampled(int maxTokens, double temperature, long seed) {
        return new SamplingOptions(maxTokens, temperature, 0, 0.95, 0, 1, 0, 0, seed, List.of());
    }

    private static void check(boolean ok, String field, Object value, String allowed) {
        if (!ok) {
            throw new InvalidSamplingOptionException(field, value, allowed);
        }
    }
}
