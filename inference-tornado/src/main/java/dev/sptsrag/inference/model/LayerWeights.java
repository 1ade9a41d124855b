package dev.sptsrag.inference.model;

/**
 * The tensors of one transformer block as stored in the file. Biases are null unless the model has
 * QKV bias. Matrices are {@code [out, in]}.
 */
public record LayerWeights(
        WeightTensor attentionNorm,
        WeightTensor query,
        WeightTensor key,
        WeightTensor value,
        WeightTensor output,
        WeightTensor queryBias,
        WeightTensor keyBias,
        WeightTensor valueBias,
        WeightTensor ffnNorm,
        WeightTensor gate,
        WeightTensor up,
        WeightTensor down) {
}
