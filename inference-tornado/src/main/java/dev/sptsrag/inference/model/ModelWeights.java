package dev.sptsrag.inference.model;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.tensor.TensorSource;
import dev.sptsrag.inference.tensor.WeightTensor;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * All tensors of a model, by role, as stored in its file, with every shape checked against the
 * configuration. {@link #output()} is the token embedding when the model ties them.
 */
public record ModelWeights(WeightTensor tokenEmbedding, List<LayerWeights> layers, WeightTensor outputNorm,
                           WeightTensor output) {

    public ModelWeights {
        layers = List.copyOf(layers);
    }

    /** Collects and validates the tensors of {@code config} from {@code source} named by {@code naming}. */
    public static ModelWeights load(ModelConfig config, TensorSource source, TensorNaming naming) {
        int hidden = config.hiddenSize();
        WeightTensor embedding = matrix(source, naming.embedding(), config.vocabSize(), hidden);
        List<LayerWeights> layers = new ArrayList<>(config.layerCount());
        for (int l = 0; l < config.layerCount(); l++) {
            boolean bias = config.qkvBias();
            boolean qkNorm = config.qkNorm();
            layers.add(new LayerWeights(
                    vector(source, naming.layer(l, TensorNaming.Role.ATTENTION_NORM), hidden),
                    matrix(source, naming.layer(l, TensorNaming.Role.QUERY), config.queryDim(), hidden),
                    matrix(source, naming.layer(l, TensorNaming.Role.KEY), config.kvDim(), hidden),
                    matrix(source, naming.layer(l, TensorNaming.Role.VALUE), config.kvDim(), hidden),
                    matrix(source, naming.layer(l, TensorNaming.Role.ATTENTION_OUTPUT), hidden, config.queryDim()),
                    bias ? vector(source, naming.layer(l, TensorNaming.Role.QUERY_BIAS), config.queryDim()) : null,
                    bias ? vector(source, naming.layer(l, TensorNaming.Role.KEY_BIAS), config.kvDim()) : null,
                    bias ? vector(source, naming.layer(l, TensorNaming.Role.VALUE_BIAS), config.kvDim()) : null,
                    qkNorm ? vector(source, naming.layer(l, TensorNaming.Role.QUERY_NORM), config.headDim()) : null,
                    qkNorm ? vector(source, naming.layer(l, TensorNaming.Role.KEY_NORM), config.headDim()) : null,
                    vector(source, naming.layer(l, TensorNaming.Role.FFN_NORM), hidden),
                    matrix(source, naming.layer(l, TensorNaming.Role.GATE), config.intermediateSize(), hidden),
                    matrix(source, naming.layer(l, TensorNaming.Role.UP), config.intermediateSize(), hidden),
                    matrix(source, naming.layer(l, TensorNaming.Role.DOWN), hidden, config.intermediateSize())));
        }
        WeightTensor norm = vector(source, naming.outputNorm(), hidden);
        WeightTensor output = config.tiedEmbeddings() ? embedding
                : matrix(source, naming.output(), config.vocabSize(), hidden);
        return new ModelWeights(embedding, layers, norm, output);
    }

    /** Every distinct tensor, embedding first. */
    public List<WeightTensor> all() {
        List<WeightTensor> out = new ArrayList<>();
        out.add(tokenEmbedding);
        for (LayerWeights l : layers) {
            for (WeightTensor t : new WeightTensor[] {l.attentionNorm(), l.query(), l.key(), l.value(), l.output(),
                    l.queryBias(), l.keyBias(), l.valueBias(), l.queryNorm(), l.keyNorm(), l.ffnNorm(), l.gate(), l.up(),
                    l.down()}) {
                if (t != null) {
                    out.add(t);
                }
            }
        }
        out.add(outputNorm);
        if (output != tokenEmbedding) {
            out.add(output);
        }
        return out;
    }

    private static WeightTensor matrix(TensorSource source, String name, long rows, long cols) {
        WeightTensor t = require(source, name);
        if (t.rank() != 2 || t.dim(0) != rows || t.dim(1) != cols) {
            throw new ModelFormatException(source.description() + ": tensor " + name + " has shape "
                    + Arrays.toString(t.shape()) + ", expected [" + rows + ", " + cols + "]");
        }
        requireReadable(source, t);
        return t;
    }

    private static WeightTensor vector(TensorSource source, String name, long length) {
        WeightTensor t = require(source, name);
        if (t.elementCount() != length || t.rank() > 2 || (t.rank() == 2 && t.dim(0) != 1 && t.dim(1) != 1)) {
            throw new ModelFormatException(source.description() + ": tensor " + name + " has shape "
                    + Arrays.toString(t.shape()) + ", expected [" + length + "]");
        }
        requireReadable(source, t);
        return t;
    }

    private static WeightTensor require(TensorSource source, String name) {
        return source.find(name).orElseThrow(() -> new ModelFormatException(
                source.description() + ": missing tensor " + name));
    }

    private static void requireReadable(TensorSource source, WeightTensor t) {
        if (!t.type().isDequantizable()) {
            throw new UnsupportedModelException(source.description() + ": tensor " + t.name() + " has type "
                    + t.type() + ", which the engine cannot read");
        }
        if (t.type().isQuantized() && t.dim(t.rank() - 1) % t.type().blockSize() != 0) {
            throw new ModelFormatException(source.description() + ": rows of " + t.name() + " are not whole "
                    + t.type() + " blocks");
        }
    }
}
