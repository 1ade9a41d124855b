package dev.sptsrag.inference.spts;

/**
 * How much of SPTS a request uses. Each mode adds one mechanism to the previous (the paper's ablation).
 */
public enum SkipMode {
    /** Every token through every layer: the ordinary forward pass. */
    FULL,
    /** Partial attention probing: attention only for the top-M tokens of the last token's probe; FFN for all. */
    PAP,
    /** PAP plus low-rank transformation probing: the FFN only for the top-M tokens by {@code ||f(x)|| · S_MHA}. */
    PAP_LTP,
    /** PAP + LTP + multi-stage delayed pruning: the lowest-scoring candidates are removed at stage boundaries. */
    SPTS
}
