package dev.sptsrag.service.ai;

import com.fasterxml.jackson.annotation.JsonFormat;
import com.fasterxml.jackson.annotation.JsonInclude;
import com.fasterxml.jackson.annotation.JsonProperty;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.spts.InvalidSkipBudgetException;
import dev.sptsrag.inference.spts.SelectionCriterion;
import dev.sptsrag.inference.spts.SkipBudget;
import dev.sptsrag.inference.spts.SkipMode;
import io.swagger.v3.oas.annotations.media.Schema;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.annotation.JsonDeserialize;
import tools.jackson.databind.json.JsonMapper;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;

/**
 * A request's SPTS skip budget as the caller gave it: a named {@link Preset} or an {@link Explicit} budget.
 * Presets depend on the model (layer positions scale to its depth), so a spec becomes the engine's
 * {@link SkipBudget} only against the loaded model ({@link #resolve}). In JSON (read by
 * {@link SkipSpecDeserializer}): a preset name ({@code "default"}), {@code {"preset": "demo", "strict": true}},
 * or the explicit object ({@code {"mode": "SPTS", "startLayer": 2, "boundaries": [4], "stageBudgets": [512]}}).
 * With {@code strict}, a budget that would skip nothing for the prompt on the loaded model is refused
 * instead of reported as not effective.
 */
@JsonDeserialize(using = SkipSpecDeserializer.class)
@Schema(description = "SPTS skip budget: a preset name (off, default, llama, qwen, demo; NAME:pap, NAME:pap-ltp, "
        + "NAME:prev-layer), a preset object, or an explicit budget (docs/spts.md)",
        oneOf = {String.class, SkipSpec.Preset.class, SkipSpec.Explicit.class})
public sealed interface SkipSpec permits SkipSpec.Preset, SkipSpec.Explicit {

    /**
     * Refuse (400) rather than run a budget that skips nothing for this prompt on the loaded model: the
     * {@code strict} field, false when absent. Not named {@code isStrict}: Jackson would take that getter for the
     * {@code strict} property.
     */
    boolean strictMode();

    /**
     * The engine's budget for {@code config}.
     *
     * @throws IllegalArgumentException for an unknown preset; {@link InvalidSkipBudgetException} naming the
     *                                  field for an explicit budget that cannot run
     */
    SkipBudget resolve(ModelConfig config);

    /** The preset {@code name}, not strict. */
    static Preset preset(String name) {
        return new Preset(name, null);
    }

    /**
     * A spec written as text, as configuration properties give it: a JSON object in any of the object
     * forms, else a preset name.
     */
    static SkipSpec parse(String text) {
        return text.strip().startsWith("{") ? JsonMapper.shared().readValue(text, SkipSpec.class) : preset(text);
    }

    /** {@code budget} in the explicit form: what responses report, and what a caller can send back. */
    static Explicit of(SkipBudget budget) {
        return new Explicit(budget.mode(), budget.startLayer(), boxed(budget.boundaries()), boxed(budget.stageBudgets()),
                budget.removalPerBoundary(), budget.sinkTokens(), budget.recentTokens(), budget.criterion(),
                budget.spanTokens(), null);
    }

    private static List<Integer> boxed(int[] values) {
        return Arrays.stream(values).boxed().toList();
    }

    /**
     * A named budget ({@link SkipBudget#preset}); a blank name is no skipping, as an absent budget is.
     */
    @JsonDeserialize(using = ValueDeserializer.None.class) // the record itself; the interface's reader dispatches
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "SkipPreset", description = "a preset by name, optionally strict")
    record Preset(@JsonProperty("preset") @Schema(requiredMode = Schema.RequiredMode.REQUIRED, example = "default")
                  String name,
                  @Nullable Boolean strict) implements SkipSpec {

        @Override
        public boolean strictMode() {
            return Boolean.TRUE.equals(strict);
        }

        @Override
        public SkipBudget resolve(ModelConfig config) {
            return name == null || name.isBlank() ? SkipBudget.OFF : SkipBudget.preset(name, config);
        }
    }

    /**
     * A budget given field by field, as {@link SkipBudget} takes them: absent numbers are 0, absent lists
     * empty, an absent criterion {@code SELF_PROBE}. Enum values are read in any case. The numbers are boxed
     * because Jackson 3 refuses an absent primitive creator property rather than taking 0.
     */
    @JsonDeserialize(using = ValueDeserializer.None.class)
    @JsonInclude(JsonInclude.Include.NON_NULL)
    @Schema(name = "SkipBudget", description = "an explicit budget; fields as the engine's SkipBudget (docs/spts.md)")
    record Explicit(@JsonFormat(with = JsonFormat.Feature.ACCEPT_CASE_INSENSITIVE_VALUES)
                    @Schema(requiredMode = Schema.RequiredMode.REQUIRED) @Nullable SkipMode mode,
                    Integer startLayer,
                    List<Integer> boundaries,
                    List<Integer> stageBudgets,
                    Integer removalPerBoundary,
                    Integer sinkTokens,
                    Integer recentTokens,
                    @JsonFormat(with = JsonFormat.Feature.ACCEPT_CASE_INSENSITIVE_VALUES) @Nullable SelectionCriterion criterion,
                    Integer spanTokens,
                    @Nullable Boolean strict) implements SkipSpec {

        public Explicit {
            startLayer = zeroIfAbsent(startLayer);
            removalPerBoundary = zeroIfAbsent(removalPerBoundary);
            sinkTokens = zeroIfAbsent(sinkTokens);
            recentTokens = zeroIfAbsent(recentTokens);
            spanTokens = zeroIfAbsent(spanTokens);
            boundaries = boundaries == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(boundaries));
            stageBudgets = stageBudgets == null ? List.of() : Collections.unmodifiableList(new ArrayList<>(stageBudgets));
        }

        @Override
        public boolean strictMode() {
            return Boolean.TRUE.equals(strict);
        }

        /** The same budget; the model does not change an explicit one. */
        @Override
        public SkipBudget resolve(ModelConfig config) {
            return new SkipBudget(mode, startLayer, ints(boundaries, "boundaries"), ints(stageBudgets, "stageBudgets"),
                    removalPerBoundary, sinkTokens, recentTokens, criterion, spanTokens);
        }

        private static Integer zeroIfAbsent(@Nullable Integer value) {
            return value == null ? 0 : value;
        }

        private static int[] ints(List<Integer> values, String field) {
            int[] out = new int[values.size()];
            for (int i = 0; i < out.length; i++) {
                Integer v = values.get(i);
                if (v == null) { // JSON null in a list binds as null; the budget needs a number
                    throw new InvalidSkipBudgetException(field + "[" + i + "]", "skip budget: " + field + "[" + i
                            + "] must be an integer");
                }
                out[i] = v;
            }
            return out;
        }
    }
}
