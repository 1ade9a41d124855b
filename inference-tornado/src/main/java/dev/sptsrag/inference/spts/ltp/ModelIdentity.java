package dev.sptsrag.inference.spts.ltp;

import dev.sptsrag.inference.model.LayerWeights;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.model.ModelWeights;
import dev.sptsrag.inference.tensor.WeightTensor;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;

/**
 * A SHA-256 that tells models apart cheaply, so that a proxy file is never used with a model it was
 * not calibrated on. It covers:
 * <ul>
 *   <li>the configuration fields that shape the computation: architecture, vocabulary, hidden and
 *       intermediate sizes, layers, heads, KV heads, head width, norm epsilon, RoPE theta, QKV bias,
 *       tied embeddings, sliding window (not the name, the context length or the RoPE layout, which
 *       differ between a Hugging Face folder and its GGUF conversion without changing the weights the
 *       proxy is made of);</li>
 *   <li>for the token embedding, the output norm and each layer's FFN norm, gate, up and down
 *       tensors: the element type, the shape, and three {@value #SAMPLE}-byte samples of the stored
 *       bytes (start, middle, end).</li>
 * </ul>
 * About 13 KiB per tensor are hashed, so it takes milliseconds even for an 8B model. Re-quantizing a
 * model (another element type) changes its identity: the proxy must then be calibrated again. A
 * different model whose sampled bytes agree everywhere is possible in principle, not by accident.
 */
public final class ModelIdentity {
    /** Length of an identity. */
    public static final int BYTES = 32;
    private static final int SAMPLE = 4096;
    private static final byte[] DOMAIN = "spts-rag model identity v1\0".getBytes(StandardCharsets.US_ASCII);

    private ModelIdentity() {
    }

    /** The identity of the model with {@code config} and {@code weights}. */
    public static byte[] of(ModelConfig config, ModelWeights weights) {
        MessageDigest sha = sha256();
        sha.update(DOMAIN);
        ByteBuffer fields = ByteBuffer.allocate(128).order(ByteOrder.LITTLE_ENDIAN);
        fields.putInt(config.vocabSize()).putInt(config.hiddenSize()).putInt(config.intermediateSize())
                .putInt(config.layerCount()).putInt(config.headCount()).putInt(config.kvHeadCount())
                .putInt(config.headDim()).putFloat(config.normEps()).putDouble(config.ropeTheta())
                .put((byte) (config.qkvBias() ? 1 : 0)).put((byte) (config.tiedEmbeddings() ? 1 : 0))
                .putInt(config.slidingWindow());
        sha.update(config.architecture().name().getBytes(StandardCharsets.US_ASCII));
        sha.update(fields.flip());
        byte[] sample = new byte[SAMPLE];
        tensor(sha, weights.tokenEmbedding(), sample);
        tensor(sha, weights.outputNorm(), sample);
        for (LayerWeights l : weights.layers()) {
            tensor(sha, l.ffnNorm(), sample);
            tensor(sha, l.gate(), sample);
            tensor(sha, l.up(), sample);
            tensor(sha, l.down(), sample);
        }
        return sha.digest();
    }

    /** Lowercase hex of an identity (for messages). */
    public static String hex(byte[] identity) {
        return HexFormat.of().formatHex(identity);
    }

    private static void tensor(MessageDigest sha, WeightTensor t, byte[] sample) {
        ByteBuffer head = ByteBuffer.allocate(12 + 8 * t.rank()).order(ByteOrder.LITTLE_ENDIAN);
        head.putInt(t.rank());
        for (int i = 0; i < t.rank(); i++) {
            head.putLong(t.dim(i));
        }
        MemorySegment data = t.data();
        long size = data.byteSize();
        head.putLong(size);
        sha.update(t.type().name().getBytes(StandardCharsets.US_ASCII));
        sha.update(head.flip());
        long[] starts = {0, Math.max(0, size / 2 - SAMPLE / 2), Math.max(0, size - SAMPLE)};
        for (long start : starts) {
            int n = (int) Math.min(SAMPLE, size - start);
            MemorySegment.copy(data, ValueLayout.JAVA_BYTE, start, sample, 0, n);
            sha.update(sample, 0, n);
        }
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }
}
