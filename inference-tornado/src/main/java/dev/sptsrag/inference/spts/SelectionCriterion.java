package dev.sptsrag.inference.spts;

/**
 * Which scores choose a skipping layer's active tokens. Travels with each request in its
 * {@link SkipBudget}; the schedule (layers, budgets, removals) is the same for both.
 */
public enum SelectionCriterion {
    /**
     * SPTS: layer l is chosen by a probe of layer l itself (the last token's query against every
     * candidate's key at layer l).
     */
    SELF_PROBE,
    /**
     * The peer baseline (LazyLLM-style, the "outdated criterion" the SPTS paper argues against): layer l
     * keeps the tokens the last token attended to most in layer l−1 (the same probe, run one layer
     * earlier). A token is then computed in the whole block or not at all: the FFN rows are the attention
     * rows (no LTP proxy), except in mode PAP, whose FFN runs every candidate.
     */
    PREVIOUS_LAYER
}
