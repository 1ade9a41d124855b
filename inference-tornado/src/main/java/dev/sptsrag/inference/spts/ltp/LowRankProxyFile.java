package dev.sptsrag.inference.spts.ltp;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.model.ModelConfig;
import dev.sptsrag.inference.model.ModelWeights;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The LTP proxy's file, written beside the model ({@link #defaultPath}). Little-endian throughout:
 * <pre>
 *   offset  size  field
 *        0     8  magic "SPTS-LTP"
 *        8     4  int32   format version (1)
 *       12     4  int32   header bytes (88): where the layers start
 *       16    32  model identity, SHA-256 ({@link ModelIdentity})
 *       48     4  int32   layers            } must equal the model's
 *       52     4  int32   hidden size       }
 *       56     4  int32   intermediate size }
 *       60     4  int32   D_low (kept channels per layer)
 *       64     4  int32   r (factor rank)
 *       68     4  int32   variant: 0 = down-projected, 1 = intermediate (no down projection stored)
 *       72     4  float32 ρ used to rank the channels
 *       76     4  int32   reserved, 0
 *       80     8  int64   calibration tokens
 *       88        per layer, in order:
 *                   int32[D_low]            kept channels, strictly increasing
 *                   float32[r × hidden]     gate projection     (row-major, [out, in])
 *                   float32[D_low × r]      gate expansion
 *                   float32[r × hidden]     up projection
 *                   float32[D_low × r]      up expansion
 *                   float32[hidden × D_low] W_down[:, kept]     (variant 0 only)
 *   end − 32     32  SHA-256 of every byte before it
 * </pre>
 * Reading checks, in this order and before it allocates anything sized by the file: the magic, the
 * version, every header field against its range and against the model, the file length against the
 * length those fields imply (exactly), then the checksum, then the model identity, then each index
 * and value. Any failure is a {@link ModelFormatException} that says what is wrong; a proxy made for
 * another model is refused as such, with both identities.
 */
public final class LowRankProxyFile {
    public static final int VERSION = 1;
    static final int HEADER_BYTES = 88;
    static final int CHECKSUM_BYTES = 32;
    private static final byte[] MAGIC = "SPTS-LTP".getBytes(StandardCharsets.US_ASCII);
    private static final ValueLayout.OfInt I32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final int BUFFER = 1 << 20;

    private LowRankProxyFile() {
    }

    /**
     * Where a model's proxy lives unless told otherwise: {@code <folder>/spts-ltp.bin} inside a Hugging
     * Face folder, {@code <file>.ltp} beside a GGUF file (e.g. {@code model.gguf.ltp}).
     */
    public static Path defaultPath(Path model) {
        if (Files.isDirectory(model)) {
            return model.resolve("spts-ltp.bin");
        }
        return model.resolveSibling(model.getFileName() + ".ltp");
    }

    /** Writes {@code proxy} to {@code file} through a temporary sibling, so a reader never sees half a file. */
    public static void write(Path file, LowRankProxy proxy) throws IOException {
        ProxyShape s = proxy.shape();
        Path tmp = file.resolveSibling(file.getFileName() + ".tmp");
        MessageDigest sha = sha256();
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            Sink out = new Sink(ch, sha);
            out.bytes(MAGIC);
            out.int32(VERSION);
            out.int32(HEADER_BYTES);
            out.bytes(proxy.modelIdentity());
            out.int32(s.layers());
            out.int32(s.hidden());
            out.int32(s.intermediate());
            out.int32(s.channels());
            out.int32(s.rank());
            out.int32(s.variant().code());
            out.float32(proxy.rho());
            out.int32(0);
            out.int64(proxy.calibrationTokens());
            for (int l = 0; l < s.layers(); l++) {
                LowRankProxy.Layer layer = proxy.layer(l);
                for (int c : layer.channels()) {
                    out.int32(c);
                }
                out.floats(layer.gateProjection());
                out.floats(layer.gateExpansion());
                out.floats(layer.upProjection());
                out.floats(layer.upExpansion());
                if (s.variant() == ProxyVariant.DOWN_PROJECTED) {
                    out.floats(layer.down());
                }
            }
            out.flush();
            writeFully(ch, ByteBuffer.wrap(sha.digest()));
            ch.force(true);
        } catch (IOException | RuntimeException e) {
            Files.deleteIfExists(tmp);
            throw e;
        }
        try {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
        }
    }

    /** {@link #read(Path, ModelConfig, ModelWeights)} for a loaded model. */
    public static LowRankProxy read(Path file, LoadedModel model) {
        return read(file, model.config(), model.weights());
    }

    /**
     * Reads the proxy in {@code file} for the model of {@code config} and {@code weights}.
     *
     * @throws ModelFormatException when the file is missing, unreadable, damaged, not a proxy file, of
     *                              another version, or made for another model
     */
    public static LowRankProxy read(Path file, ModelConfig config, ModelWeights weights) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            if (size < HEADER_BYTES + CHECKSUM_BYTES) {
                throw bad(file, "truncated: " + size + " bytes, less than a header and a checksum ("
                        + (HEADER_BYTES + CHECKSUM_BYTES) + ")");
            }
            ByteBuffer head = ByteBuffer.allocate(HEADER_BYTES).order(ByteOrder.LITTLE_ENDIAN);
            while (head.hasRemaining()) {
                if (ch.read(head, head.position()) < 0) {
                    throw bad(file, "truncated header");
                }
            }
            head.flip();
            Header h = header(file, head, config);
            long expected = HEADER_BYTES + h.shape.layers() * h.shape.bytesPerLayer() + CHECKSUM_BYTES;
            if (size != expected) {
                throw bad(file, (size < expected ? "truncated: " : "has trailing bytes: ") + size + " bytes, but its header ("
                        + h.shape + ") needs " + expected);
            }
            try (Arena arena = Arena.ofConfined()) {
                MemorySegment data = ch.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
                verifyChecksum(file, data, size);
                byte[] identity = ModelIdentity.of(config, weights);
                if (!Arrays.equals(identity, h.identity)) {
                    throw bad(file, "was made for another model (identity " + ModelIdentity.hex(h.identity)
                            + "), not for " + config.name() + " (identity " + ModelIdentity.hex(identity)
                            + "); calibrate this model with 'spts calibrate'");
                }
                return layers(file, data, h);
            }
        } catch (java.nio.file.NoSuchFileException e) {
            throw new ModelFormatException("no LTP proxy file at " + file + " (make one with 'spts calibrate')", e);
        } catch (IOException e) {
            throw new ModelFormatException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    private record Header(byte[] identity, ProxyShape shape, float rho, long tokens) {
    }

    private static Header header(Path file, ByteBuffer b, ModelConfig config) {
        byte[] magic = new byte[MAGIC.length];
        b.get(magic);
        if (!Arrays.equals(magic, MAGIC)) {
            throw bad(file, "is not an LTP proxy file (no SPTS-LTP magic)");
        }
        int version = b.getInt();
        if (version != VERSION) {
            throw bad(file, "has format version " + version + "; this engine reads version " + VERSION
                    + " (calibrate again)");
        }
        int headerBytes = b.getInt();
        if (headerBytes != HEADER_BYTES) {
            throw bad(file, "header of " + headerBytes + " bytes; version " + VERSION + " has " + HEADER_BYTES);
        }
        byte[] identity = new byte[ModelIdentity.BYTES];
        b.get(identity);
        int layers = b.getInt(), hidden = b.getInt(), intermediate = b.getInt();
        int channels = b.getInt(), rank = b.getInt(), variantCode = b.getInt();
        float rho = b.getFloat();
        int reserved = b.getInt();
        long tokens = b.getLong();
        if (layers != config.layerCount() || hidden != config.hiddenSize() || intermediate != config.intermediateSize()) {
            throw bad(file, "was made for another model: " + layers + " layers, hidden " + hidden + ", intermediate "
                    + intermediate + "; " + config.name() + " has " + config.layerCount() + ", " + config.hiddenSize()
                    + ", " + config.intermediateSize());
        }
        ProxyVariant variant = ProxyVariant.ofCode(variantCode);
        if (variant == null) {
            throw bad(file, "unknown proxy variant " + variantCode);
        }
        ProxyShape shape;
        try {
            shape = new ProxyShape(layers, hidden, intermediate, channels, rank, variant);
        } catch (IllegalArgumentException e) {
            throw bad(file, e.getMessage());
        }
        if (!(rho > 0 && rho <= 1)) {
            throw bad(file, "rho " + rho + " is outside (0, 1]");
        }
        if (reserved != 0) {
            throw bad(file, "reserved header field is " + reserved + ", not 0");
        }
        if (tokens < 1) {
            throw bad(file, "calibration token count " + tokens + " is not positive");
        }
        return new Header(identity, shape, rho, tokens);
    }

    private static void verifyChecksum(Path file, MemorySegment data, long size) {
        MessageDigest sha = sha256();
        long end = size - CHECKSUM_BYTES;
        for (long at = 0; at < end; at += BUFFER) {
            sha.update(data.asSlice(at, Math.min(BUFFER, end - at)).asByteBuffer());
        }
        byte[] stored = data.asSlice(end, CHECKSUM_BYTES).toArray(ValueLayout.JAVA_BYTE);
        if (!MessageDigest.isEqual(sha.digest(), stored)) {
            throw bad(file, "checksum mismatch: the file is damaged (or was changed after it was written)");
        }
    }

    private static LowRankProxy layers(Path file, MemorySegment data, Header h) {
        ProxyShape s = h.shape;
        List<LowRankProxy.Layer> layers = new ArrayList<>(s.layers());
        long at = HEADER_BYTES;
        for (int l = 0; l < s.layers(); l++) {
            int[] channels = new int[s.channels()];
            MemorySegment.copy(data, I32, at, channels, 0, channels.length);
            at += 4L * channels.length;
            for (int i = 0; i < channels.length; i++) {
                if (channels[i] < 0 || channels[i] >= s.intermediate() || (i > 0 && channels[i] <= channels[i - 1])) {
                    throw bad(file, "layer " + l + ": kept channel " + i + " = " + channels[i]
                            + " is outside 0.." + (s.intermediate() - 1) + " or not increasing");
                }
            }
            float[][] arrays = new float[5][];
            int[] lengths = {s.rank() * s.hidden(), s.channels() * s.rank(), s.rank() * s.hidden(),
                    s.channels() * s.rank(), s.variant() == ProxyVariant.DOWN_PROJECTED ? s.hidden() * s.channels() : 0};
            String[] names = {"gate projection", "gate expansion", "up projection", "up expansion", "down"};
            for (int a = 0; a < arrays.length; a++) {
                if (lengths[a] == 0) {
                    continue;
                }
                float[] f = new float[lengths[a]];
                MemorySegment.copy(data, F32, at, f, 0, f.length);
                at += 4L * f.length;
                for (int i = 0; i < f.length; i++) {
                    if (!Float.isFinite(f[i])) {
                        throw bad(file, "layer " + l + ": " + names[a] + "[" + i + "] is " + f[i]);
                    }
                }
                arrays[a] = f;
            }
            layers.add(new LowRankProxy.Layer(channels, arrays[0], arrays[1], arrays[2], arrays[3], arrays[4]));
        }
        try {
            return new LowRankProxy(s, h.identity, h.rho, h.tokens, layers);
        } catch (IllegalArgumentException e) {
            throw bad(file, e.getMessage()); // the checks above should have caught it
        }
    }

    private static ModelFormatException bad(Path file, String message) {
        return new ModelFormatException(file + ": " + message);
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    private static void writeFully(FileChannel ch, ByteBuffer b) throws IOException {
        while (b.hasRemaining()) {
            ch.write(b);
        }
    }

    /** Little-endian values into a channel through one buffer, each flushed buffer also fed to the digest. */
    private static final class Sink {
        private final FileChannel ch;
        private final MessageDigest sha;
        private final ByteBuffer buffer = ByteBuffer.allocate(BUFFER).order(ByteOrder.LITTLE_ENDIAN);

        Sink(FileChannel ch, MessageDigest sha) {
            this.ch = ch;
            this.sha = sha;
        }

        void bytes(byte[] b) throws IOException {
            room(b.length);
            buffer.put(b);
        }

        void int32(int v) throws IOException {
            room(4);
            buffer.putInt(v);
        }

        void int64(long v) throws IOException {
            room(8);
            buffer.putLong(v);
        }

        void float32(float v) throws IOException {
            room(4);
            buffer.putFloat(v);
        }

        void floats(float[] values) throws IOException {
            for (float v : values) {
                room(4);
                buffer.putFloat(v);
            }
        }

        private void room(int bytes) throws IOException {
            if (buffer.remaining() < bytes) {
                flush();
            }
        }

        void flush() throws IOException {
            buffer.flip();
            sha.update(buffer.duplicate());
            writeFully(ch, buffer);
            buffer.clear();
        }
    }
}
