package dev.sptsrag.inference.eval;

import dev.sptsrag.inference.spts.SelectionCriterion;
import dev.sptsrag.inference.spts.SkipBudget;
import dev.sptsrag.inference.spts.SkipMode;

import java.util.Locale;

/**
 * What the evaluation compares: the full prefill, the three SPTS ablation modes, and the LazyLLM-style
 * baseline — all with the same layers and token budgets (one preset).
 */
public enum EvalMode {
    FULL,
    PAP,
    PAP_LTP,
    SPTS,
    /** The peer baseline: SPTS's schedule, tokens chosen by the previous layer's last-token attention. */
    PREV_LAYER;

    /** This mode's budget from {@code preset} (its layers and token budgets). */
    public SkipBudget budget(SkipBudget preset) {
        if (this == FULL) {
            return SkipBudget.OFF;
        }
        if (preset.mode() == SkipMode.FULL) {
            throw new IllegalArgumentException("mode " + this + " needs a skipping preset, not " + preset);
        }
        return switch (this) {
            case PAP -> preset.withMode(SkipMode.PAP).withCriterion(SelectionCriterion.SELF_PROBE);
            case PAP_LTP -> preset.withMode(SkipMode.PAP_LTP).withCriterion(SelectionCriterion.SELF_PROBE);
            case SPTS -> preset.withMode(SkipMode.SPTS).withCriterion(SelectionCriterion.SELF_PROBE);
            case PREV_LAYER -> preset.withMode(SkipMode.SPTS).withCriterion(SelectionCriterion.PREVIOUS_LAYER);
            case FULL -> throw new AssertionError();
        };
    }

    public static EvalMode parse(String name) {
        String n = name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        try {
            return valueOf(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("unknown mode '" + name + "'; use FULL, PAP, PAP_LTP, SPTS or PREV_LAYER");
        }
    }
}
