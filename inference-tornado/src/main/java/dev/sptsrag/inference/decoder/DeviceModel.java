package dev.sptsrag.inference.decoder;

import dev.sptsrag.inference.backend.AttentionShape;
import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.DeviceMatrix;
import dev.sptsrag.inference.backend.DeviceVector;
import dev.sptsrag.inference.backend.RotaryEmbedding;
import dev.sptsrag.inference.backend.RotaryTable;
import dev.sptsrag.inference.model.LayerWeights;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.model.ModelWeights;

import java.util.ArrayList;
import java.util.List;
import java.util.function.IntConsumer;

/** A model's weights resident on one backend, by role, plus the per-model tables ops need. */
public final class DeviceModel {

    /**
     * One block's weights on the device; biases are null when the model has none, and so are the per-head
     * query and key norms (Qwen3's QK-norm, one head wide).
     */
    public record Layer(DeviceVector attentionNorm, DeviceMatrix query, DeviceMatrix key, DeviceMatrix value,
                        DeviceMatrix output, DeviceVector queryBias, DeviceVector keyBias, DeviceVector valueBias,
                        DeviceVector queryNorm, DeviceVector keyNorm,
                        DeviceVector ffnNorm, DeviceMatrix gate, DeviceMatrix up, DeviceMatrix down) {
    }

    private final ModelConfig config;
    private final Backend backend;
    private final DeviceMatrix embedding;
    private final List<Layer> layers;
    private final DeviceVector outputNorm;
    private final DeviceMatrix output;
    private final RotaryTable rotary;
    private final AttentionShape attentionShape;

    private DeviceModel(ModelConfig config, Backend backend, DeviceMatrix embedding, List<Layer> layers,
                        DeviceVector outputNorm, DeviceMatrix output) {
        this.config = config;
        this.backend = backend;
        this.embedding = embedding;
        this.layers = List.copyOf(layers);
        this.outputNorm = outputNorm;
        this.output = output;
        this.rotary = backend.createRotaryTable(RotaryEmbedding.of(config));
        this.attentionShape = AttentionShape.of(config);
    }

    /**
     * Uploads every weight; {@code progress} is told after each layer (0-based) so long loads can
     * show it.
     */
    public static DeviceModel upload(ModelConfig config, ModelWeights weights, Backend backend, IntConsumer progress) {
        DeviceMatrix embedding = backend.uploadMatrix(weights.tokenEmbedding());
        List<Layer> layers = new ArrayList<>(config.layerCount());
        for (int l = 0; l < config.layerCount(); l++) {
            LayerWeights w = weights.layers().get(l);
            layers.add(new Layer(
                    backend.uploadVector(w.attentionNorm()),
                    backend.uploadMatrix(w.query()), backend.uploadMatrix(w.key()), backend.uploadMatrix(w.value()),
                    backend.uploadMatrix(w.output()),
                    w.queryBias() == null ? null : backend.uploadVector(w.queryBias()),
                    w.keyBias() == null ? null : backend.uploadVector(w.keyBias()),
                    w.valueBias() == null ? null : backend.uploadVector(w.valueBias()),
                    w.queryNorm() == null ? null : backend.uploadVector(w.queryNorm()),
                    w.keyNorm() == null ? null : backend.uploadVector(w.keyNorm()),
                    backend.uploadVector(w.ffnNorm()),
                    backend.uploadMatrix(w.gate()), backend.uploadMatrix(w.up()), backend.uploadMatrix(w.down())));
            if (progress != null) {
                progress.accept(l);
            }
        }
        DeviceVector norm = backend.uploadVector(weights.outputNorm());
        DeviceMatrix out = weights.output() == weights.tokenEmbedding() ? embedding : backend.uploadMatrix(weights.output());
        return new DeviceModel(config, backend, embedding, layers, norm, out);
    }

    public ModelConfig config() { return config; }

    public Backend backend() { return backend; }

    public DeviceMatrix embedding() { return embedding; }

    public Layer layer(int i) { return layers.get(i); }

    public DeviceVector outputNorm() { return outputNorm; }

    public DeviceMatrix output() { return output; }

    public RotaryTable rotary() { return rotary; }

    public AttentionShape attentionShape() { return attentionShape; }

    /** Device bytes of the weight matrices (vectors are negligible). */
    public long matrixBytes() {
        long total = embedding.bytes() + (output == embedding ? 0 : output.bytes());
        for (Layer l : layers) {
            total += l.query().bytes() + l.key().bytes() + l.value().bytes() + l.output().bytes()
                    + l.gate().bytes() + l.up().bytes() + l.down().bytes();
        }
        return total;
    }
}
