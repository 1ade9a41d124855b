package dev.sptsrag.service.ai;

import dev.sptsrag.inference.spts.SkipBudget;
import dev.sptsrag.inference.spts.SkipMode;
import org.junit.jupiter.api.Test;
import org.springframework.ai.chat.prompt.ChatOptions;

import java.util.List;

import static org.assertj.core.api.Assertions.assertThat;

class SptsChatOptionsTest {
    private final SptsChatOptions defaults = SptsChatOptions.builder().model("m").maxTokens(100).temperature(0.7)
            .topP(0.9).topK(20).stopSequences(List.of("END")).presencePenalty(0.1).frequencyPenalty(0.2)
            .seed(7L).minP(0.05).repetitionPenalty(1.1).skip(SkipSpec.preset("default")).build();

    @Test
    void requestValuesOverrideFieldByFieldAndNullNeverOverrides() {
        SptsChatOptions request = SptsChatOptions.builder().maxTokens(5).skip(SkipSpec.preset("off")).stopSequences(List.of("STOP")).build();
        SptsChatOptions merged = SptsChatOptions.merge(defaults, request);
        assertThat(merged.getMaxTokens()).isEqualTo(5);
        assertThat(merged.getSkip()).isEqualTo(SkipSpec.preset("off"));
        assertThat(merged.getStopSequences()).containsExactly("STOP"); // replaced, not appended
        assertThat(merged.getModel()).isEqualTo("m");
        assertThat(merged.getTemperature()).isEqualTo(0.7);
        assertThat(merged.getTopP()).isEqualTo(0.9);
        assertThat(merged.getTopK()).isEqualTo(20);
        assertThat(merged.getPresencePenalty()).isEqualTo(0.1);
        assertThat(merged.getFrequencyPenalty()).isEqualTo(0.2);
        assertThat(merged.getSeed()).isEqualTo(7L);
        assertThat(merged.getMinP()).isEqualTo(0.05);
        assertThat(merged.getRepetitionPenalty()).isEqualTo(1.1);

        assertThat(SptsChatOptions.merge(defaults, SptsChatOptions.builder().build())).isEqualTo(defaults);
        assertThat(SptsChatOptions.merge(defaults, null)).isEqualTo(defaults);
    }

    @Test
    void portableOptionsFromAnyProviderMergeToo() {
        ChatOptions portable = ChatOptions.builder().temperature(0.0).topK(1).build();
        SptsChatOptions merged = SptsChatOptions.merge(defaults, portable);
        assertThat(merged.getTemperature()).isEqualTo(0.0);
        assertThat(merged.getTopK()).isEqualTo(1);
        assertThat(merged.getSeed()).isEqualTo(7L);
        assertThat(merged.getSkip()).isEqualTo(SkipSpec.preset("default"));

        // ChatClient's way: the model's defaults' builder combined with the request's builder
        SptsChatOptions viaBuilders = defaults.mutate()
                .combineWith(SptsChatOptions.builder().seed(9L)).build();
        assertThat(viaBuilders.getSeed()).isEqualTo(9L);
        assertThat(viaBuilders.getMaxTokens()).isEqualTo(100);
    }

    @Test
    void copyAndMutateAreIndependentAndEqual() {
        SptsChatOptions copy = defaults.copy();
        assertThat(copy).isEqualTo(defaults).hasSameHashCodeAs(defaults).isNotSameAs(defaults);
        SptsChatOptions changed = defaults.mutate().temperature(0.1).build();
        assertThat(changed.getTemperature()).isEqualTo(0.1);
        assertThat(defaults.getTemperature()).isEqualTo(0.7);
        SptsChatOptions.Builder b = defaults.mutate();
        SptsChatOptions.Builder clone = b.clone().stopSequences(List.of("X"));
        assertThat(b.build().getStopSequences()).containsExactly("END");
        assertThat(clone.build().getStopSequences()).containsExactly("X");
    }

    @Test
    void anExplicitBudgetTravelsAsItsSpecAndResolvesToItself() {
        SkipBudget budget = new SkipBudget(SkipMode.SPTS, 1, new int[] {2}, new int[] {8}, 2, 1, 1);
        SkipSpec spec = SptsChatOptions.builder().skip(budget).build().getSkip();
        assertThat(spec).isInstanceOf(SkipSpec.Explicit.class);
        assertThat(spec.resolve(null)).isEqualTo(budget);
    }
}
