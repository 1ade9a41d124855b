package dev.sptsrag.inference.model;

import dev.sptsrag.inference.tensor.WeightTensor;
/**
 * The tensors of one transformer block as stored in the file. Biases are null unless the model has
 * QKV bias; the per-head query and key norm weights ({@code [headDim]}, shared by all heads) are null
 * unless the family has QK-norm. Matrices are {@code [out, in]}.
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
        WeightTensor queryNorm,
        WeightTensor keyNorm,
        WeightTensor ffnNorm,
        WeightTensor gate,
        WeightTensor up,
        WeightTensor down) {
}
