package dev.sptsrag.inference.spts;

import dev.sptsrag.inference.model.ModelConfig;

import java.util.Arrays;
import java.util.Optional;

/**
 * A {@link SkipBudget} resolved against a model and a prompt length, layer by layer: how many
 * candidates enter the layer, how many of them are removed before it (a stage boundary), and how many
 * are active in its attention and FFN. The plan is fixed before the prefill starts, so the KV cache
 * each layer will hold is known in advance.
 *
 * <p>Choices the paper leaves open (docs/spts.md): a stage whose budget is at least its candidate
 * count does not skip; a boundary removes at most {@code removalPerBoundary} candidates and never so
 * many that the next stage's budget could not be filled; the last token is never removed.
 */
public final class SkipPlan {
    private final SkipBudget budget;
    private final int promptLength;
    private final int[] candidates;
    private final int[] removedBefore;
    private final int[] active;

    private SkipPlan(SkipBudget budget, int promptLength, int[] candidates, int[] removedBefore, int[] active) {
        this.budget = budget;
        this.promptLength = promptLength;
        this.candidates = candidates;
        this.removedBefore = removedBefore;
        this.active = active;
    }

    /**
     * @throws InvalidSkipBudgetException when the budget's layers do not fit the model
     */
    public static SkipPlan resolve(SkipBudget budget, ModelConfig config, int promptLength) {
        if (promptLength < 1) {
            throw new IllegalArgumentException("prompt length must be >= 1: " + promptLength);
        }
        int layers = config.layerCount();
        int[] candidates = new int[layers];
        int[] removed = new int[layers];
        int[] active = new int[layers];
        boolean skipping = budget.mode() != SkipMode.FULL;
        if (skipping && budget.startLayer() >= layers) {
            throw new InvalidSkipBudgetException("startLayer", "skip budget: startLayer " + budget.startLayer()
                    + " is past the last layer (" + (layers - 1) + ") of " + config.name());
        }
        int[] boundaries = budget.boundaries();
        int[] budgets = budget.stageBudgets();
        int n = promptLength;
        int stage = 0;
        for (int l = 0; l < layers; l++) {
            if (skipping && l >= budget.startLayer()) {
                while (stage < boundaries.length && l >= boundaries[stage]) {
                    stage++;
                    if (l == boundaries[stage - 1] && budget.mode() == SkipMode.SPTS) {
                        int next = budgets[Math.min(stage, budgets.length - 1)];
                        int r = Math.max(0, Math.min(budget.removalPerBoundary(), n - next));
                        removed[l] += r;
                        n -= r;
                    }
                }
                int m = budgets[Math.min(stage, budgets.length - 1)];
                candidates[l] = n;
                active[l] = Math.min(n, m);
            } else {
                candidates[l] = n;
                active[l] = n;
            }
        }
        return new SkipPlan(budget, promptLength, candidates, removed, active);
    }

    public SkipBudget budget() { return budget; }

    public int promptLength() { return promptLength; }

    public int layerCount() { return candidates.length; }

    /** Tokens that may take part in layer {@code l} (after any removal before it). */
    public int candidates(int l) { return candidates[l]; }

    /** Candidates removed for good just before layer {@code l}. */
    public int removedBefore(int l) { return removedBefore[l]; }

    /** Tokens whose attention output (and, with PAP alone, FFN output) layer {@code l} computes. */
    public int active(int l) { return active[l]; }

    /** Whether layer {@code l} computes fewer rows than its candidates (and so probes). */
    public boolean skips(int l) { return active[l] < candidates[l]; }

    /** Whether any layer skips or removes: otherwise the plan is the ordinary forward pass. */
    public boolean skipsAny() {
        for (int l = 0; l < candidates.length; l++) {
            if (skips(l) || removedBefore[l] > 0) {
                return true;
            }
        }
        return false;
    }

    /**
     * Why this plan runs every prompt token through every layer, or empty when it skips or removes some.
     * A budget that is valid for the model still skips nothing when the prompt fits every stage's budget it
     * reaches (a preset sized for long contexts on a short prompt): callers report that rather than a budget
     * that looks in force.
     */
    public Optional<String> skipsNothingBecause() {
        if (budget.mode() == SkipMode.FULL) {
            return Optional.of("the budget's mode is FULL");
        }
        if (skipsAny()) {
            return Optional.empty();
        }
        int[] budgets = budget.stageBudgets();
        int[] boundaries = budget.boundaries();
        int smallest = Integer.MAX_VALUE; // of the stages that start within this model's layers
        for (int k = 0; k < budgets.length; k++) {
            if ((k == 0 ? budget.startLayer() : boundaries[k - 1]) < candidates.length) {
                smallest = Math.min(smallest, budgets[k]);
            }
        }
        return Optional.of("the prompt (" + promptLength + " tokens) fits within every stage budget on this model's "
                + candidates.length + " layers (the smallest is " + smallest + ")");
    }

    /**
     * Whether the layer's probe scores are needed: the next layer removes candidates, or the scores choose
     * active tokens — this layer's own ({@link SelectionCriterion#SELF_PROBE}) or the next layer's
     * ({@link SelectionCriterion#PREVIOUS_LAYER}).
     */
    public boolean probes(int l) {
        boolean next = l + 1 < candidates.length;
        if (next && removedBefore[l + 1] > 0) {
            return true;
        }
        return budget.criterion() == SelectionCriterion.PREVIOUS_LAYER ? next && skips(l + 1) : skips(l);
    }

    /** KV slots each layer holds after the prefill: its active tokens. */
    public int kvSlots(int l) { return active[l]; }

    /** KV slots over all layers, against {@code layers × prompt} for the full pass. */
    public long kvSlotsTotal() {
        return Arrays.stream(active).asLongStream().sum();
    }

    @Override
    public String toString() {
        return "candidates " + Arrays.toString(candidates) + ", active " + Arrays.toString(active) + ", removed "
                + Arrays.toString(removedBefore);
    }
}
