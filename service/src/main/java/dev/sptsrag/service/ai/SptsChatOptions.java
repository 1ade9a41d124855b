package dev.sptsrag.service.ai;

import dev.sptsrag.inference.spts.SkipBudget;
import org.jspecify.annotations.Nullable;
import org.springframework.ai.chat.prompt.ChatOptions;
import org.springframework.ai.chat.prompt.DefaultChatOptionsBuilder;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;

/**
 * Options of {@link SptsChatModel}: the portable ones (model, maxTokens, temperature, topP, topK,
 * stopSequences, presencePenalty, frequencyPenalty), the engine's other sampling options (seed, minP,
 * repetitionPenalty) and the SPTS skip budget ({@code skip}: a {@link SkipSpec}, a preset such as {@code off},
 * {@code default}, {@code llama}, {@code qwen:pap}, or an explicit budget, see docs/spts.md). Immutable;
 * {@link #mutate()} gives a builder. {@link Builder#combineWith} overlays another builder's non-null
 * values field by field (a request's stop sequences replace the defaults' rather than adding to them);
 * null never overrides.
 */
public final class SptsChatOptions implements ChatOptions {
    private final @Nullable String model;
    private final @Nullable Integer maxTokens;
    private final @Nullable Double temperature;
    private final @Nullable Double topP;
    private final @Nullable Integer topK;
    private final @Nullable List<String> stopSequences;
    private final @Nullable Double presencePenalty;
    private final @Nullable Double frequencyPenalty;
    private final @Nullable Long seed;
    private final @Nullable Double minP;
    private final @Nullable Double repetitionPenalty;
    private final @Nullable SkipSpec skip;

    private SptsChatOptions(@Nullable String model, @Nullable Integer maxTokens, @Nullable Double temperature,
                            @Nullable Double topP, @Nullable Integer topK, @Nullable List<String> stopSequences,
                            @Nullable Double presencePenalty, @Nullable Double frequencyPenalty, @Nullable Long seed,
                            @Nullable Double minP, @Nullable Double repetitionPenalty, @Nullable SkipSpec skip) {
        this.model = model;
        this.maxTokens = maxTokens;
        this.temperature = temperature;
        this.topP = topP;
        this.topK = topK;
        this.stopSequences = stopSequences == null ? null : List.copyOf(stopSequences);
        this.presencePenalty = presencePenalty;
        this.frequencyPenalty = frequencyPenalty;
        this.seed = seed;
        this.minP = minP;
        this.repetitionPenalty = repetitionPenalty;
        this.skip = skip;
    }

    public static Builder builder() {
        return new Builder();
    }

    @Override
    public Builder mutate() {
        return builder().combineWith(this);
    }

    /** An equal, independent instance. */
    public SptsChatOptions copy() {
        return mutate().build();
    }

    /** {@code base} overlaid with the non-null values of {@code override} (either may be null). */
    public static SptsChatOptions merge(@Nullable ChatOptions base, @Nullable ChatOptions override) {
        Builder b = builder();
        if (base != null) {
            b.combineWith(base);
        }
        if (override != null) {
            b.combineWith(override);
        }
        return b.build();
    }

    @Override public @Nullable String getModel() { return model; }
    @Override public @Nullable Integer getMaxTokens() { return maxTokens; }
    @Override public @Nullable Double getTemperature() { return temperature; }
    @Override public @Nullable Double getTopP() { return topP; }
    @Override public @Nullable Integer getTopK() { return topK; }
    @Override public @Nullable List<String> getStopSequences() { return stopSequences; }
    @Override public @Nullable Double getPresencePenalty() { return presencePenalty; }
    @Override public @Nullable Double getFrequencyPenalty() { return frequencyPenalty; }

    /** Random seed: the same seed and prompt give the same text. */
    public @Nullable Long getSeed() { return seed; }

    /** Drop tokens less likely than minP × the most likely one (0: off). */
    public @Nullable Double getMinP() { return minP; }

    /** CTRL-style penalty on tokens already in the prompt or output (1: off). */
    public @Nullable Double getRepetitionPenalty() { return repetitionPenalty; }

    /** The SPTS skip budget, resolved against the model per request; null or {@code off}: no skipping. */
    public @Nullable SkipSpec getSkip() { return skip; }

    @Override
    public boolean equals(Object o) {
        return o instanceof SptsChatOptions that && Objects.equals(model, that.model)
                && Objects.equals(maxTokens, that.maxTokens) && Objects.equals(temperature, that.temperature)
                && Objects.equals(topP, that.topP) && Objects.equals(topK, that.topK)
                && Objects.equals(stopSequences, that.stopSequences)
                && Objects.equals(presencePenalty, that.presencePenalty)
                && Objects.equals(frequencyPenalty, that.frequencyPenalty) && Objects.equals(seed, that.seed)
                && Objects.equals(minP, that.minP) && Objects.equals(repetitionPenalty, that.repetitionPenalty)
                && Objects.equals(skip, that.skip);
    }

    @Override
    public int hashCode() {
        return Objects.hash(model, maxTokens, temperature, topP, topK, stopSequences, presencePenalty, frequencyPenalty,
                seed, minP, repetitionPenalty, skip);
    }

    @Override
    public String toString() {
        return "SptsChatOptions{model=" + model + ", maxTokens=" + maxTokens + ", temperature=" + temperature
                + ", topP=" + topP + ", topK=" + topK + ", stopSequences=" + stopSequences + ", presencePenalty="
                + presencePenalty + ", frequencyPenalty=" + frequencyPenalty + ", seed=" + seed + ", minP=" + minP
                + ", repetitionPenalty=" + repetitionPenalty + ", skip=" + skip + "}";
    }

    /** Builds {@link SptsChatOptions}; the portable setters come from Spring AI's builder. */
    public static final class Builder extends DefaultChatOptionsBuilder<Builder> {
        private @Nullable Long seed;
        private @Nullable Double minP;
        private @Nullable Double repetitionPenalty;
        private @Nullable SkipSpec skip;

        private Builder() {
        }

        public Builder seed(@Nullable Long seed) {
            this.seed = seed;
            return this;
        }

        public Builder minP(@Nullable Double minP) {
            this.minP = minP;
            return this;
        }

        public Builder repetitionPenalty(@Nullable Double repetitionPenalty) {
            this.repetitionPenalty = repetitionPenalty;
            return this;
        }

        /** A preset ({@link SkipSpec#preset}: {@code off}, {@code default}, {@code qwen:pap}…) or an explicit budget. */
        public Builder skip(@Nullable SkipSpec skip) {
            this.skip = skip;
            return this;
        }

        /** An explicit budget. */
        public Builder skip(@Nullable SkipBudget budget) {
            this.skip = budget == null ? null : SkipSpec.of(budget);
            return this;
        }

        /**
         * Takes every non-null value of {@code other}: the portable ones from any options, the engine's
         * own from {@link SptsChatOptions}. Unlike Spring AI's default, stop sequences are replaced, not appended.
         */
        @Override
        public Builder combineWith(ChatOptions.Builder<?> other) {
            return combineWith(other.build());
        }

        Builder combineWith(ChatOptions o) {
            if (o.getModel() != null) {
                model = o.getModel();
            }
            if (o.getMaxTokens() != null) {
                maxTokens = o.getMaxTokens();
            }
            if (o.getTemperature() != null) {
                temperature = o.getTemperature();
            }
            if (o.getTopP() != null) {
                topP = o.getTopP();
            }
            if (o.getTopK() != null) {
                topK = o.getTopK();
            }
            if (o.getStopSequences() != null) {
                stopSequences = new ArrayList<>(o.getStopSequences());
            }
            if (o.getPresencePenalty() != null) {
                presencePenalty = o.getPresencePenalty();
            }
            if (o.getFrequencyPenalty() != null) {
                frequencyPenalty = o.getFrequencyPenalty();
            }
            if (o instanceof SptsChatOptions s) {
                if (s.seed != null) {
                    seed = s.seed;
                }
                if (s.minP != null) {
                    minP = s.minP;
                }
                if (s.repetitionPenalty != null) {
                    repetitionPenalty = s.repetitionPenalty;
                }
                if (s.skip != null) {
                    skip = s.skip;
                }
            }
            return this;
        }

        @Override
        public Builder clone() {
            Builder b = super.clone();
            b.stopSequences = stopSequences == null ? null : new ArrayList<>(stopSequences);
            return b;
        }

        @Override
        public SptsChatOptions build() {
            return new SptsChatOptions(model, maxTokens, temperature, topP, topK, stopSequences, presencePenalty,
                    frequencyPenalty, seed, minP, repetitionPenalty, skip);
        }
    }
}
