package dev.sptsrag.inference.model;

/**
 * How the two halves of each rotated pair are laid out inside a head.
 * Hugging Face checkpoints rotate dimension {@code i} with {@code i + headDim/2} ({@link #SPLIT_HALF},
 * "NeoX style"); GGUF files of the llama family store Q/K rows permuted so that pairs are adjacent
 * ({@link #INTERLEAVED}). The math is the same rotation, applied to different index pairs.
 */
public enum RopeLayout {
    SPLIT_HALF,
    INTERLEAVED
}
