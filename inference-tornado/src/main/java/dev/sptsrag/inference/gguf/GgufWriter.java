package dev.sptsrag.inference.gguf;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.tensor.GgmlType;
import dev.sptsrag.inference.tensor.Quantizer;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.ByteBuffer;
import java.nio.CharBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetEncoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Writes a little-endian GGUF v3 file: metadata (put in order; putting a key again replaces its
 * value in place), then tensors in the order they were added, each at an offset aligned to
 * {@code general.alignment} (32 unless set) and padded with zeros.
 *
 * <p>Tensor bytes are not held by the writer: each tensor supplies a {@link TensorContent} that
 * fills a writable, memory-mapped window of the output file of exactly the tensor's size, so
 * multi-GB models are converted one tensor at a time. Arguments that {@link GgufFile} would reject
 * are rejected here with {@link IllegalArgumentException}, so what this writes reads back.
 *
 * <p>Not thread-safe; {@link #write} may be called once per set of tensor contents.
 */
public final class GgufWriter {
    public static final int VERSION = 3;

    /** Fills the bytes of one tensor. */
    @FunctionalInterface
    public interface TensorContent {
        /**
         * Writes the tensor's bytes into {@code dst}: exactly the tensor's byte size, zero-filled,
         * writable, and valid only during this call.
         */
        void writeTo(MemorySegment dst) throws IOException;
    }

    private record PendingTensor(String name, GgmlType type, long[] ne, long byteSize, TensorContent content) {
    }

    private final Map<String, Object> values = new LinkedHashMap<>();
    private final Map<String, GgufValueType> types = new LinkedHashMap<>();
    private final List<PendingTensor> tensors = new ArrayList<>();
    private final Set<String> tensorNames = new HashSet<>();

    // ---- metadata ----

    public GgufWriter putUint8(String key, int value) { return put(key, GgufValueType.UINT8, value); }

    public GgufWriter putInt8(String key, int value) { return put(key, GgufValueType.INT8, value); }

    public GgufWriter putUint16(String key, int value) { return put(key, GgufValueType.UINT16, value); }

    public GgufWriter putInt16(String key, int value) { return put(key, GgufValueType.INT16, value); }

    public GgufWriter putUint32(String key, long value) { return put(key, GgufValueType.UINT32, value); }

    public GgufWriter putInt32(String key, int value) { return put(key, GgufValueType.INT32, value); }

    /** A UINT64; {@code value} must be non-negative (readers box UINT64 as a Java long). */
    public GgufWriter putUint64(String key, long value) { return put(key, GgufValueType.UINT64, value); }

    public GgufWriter putInt64(String key, long value) { return put(key, GgufValueType.INT64, value); }

    public GgufWriter putFloat32(String key, float value) { return put(key, GgufValueType.FLOAT32, value); }

    public GgufWriter putFloat64(String key, double value) { return put(key, GgufValueType.FLOAT64, value); }

    public GgufWriter putBool(String key, boolean value) { return put(key, GgufValueType.BOOL, value); }

    public GgufWriter putString(String key, String value) { return put(key, GgufValueType.STRING, value); }

    public GgufWriter putArray(String key, GgufArray value) { return put(key, GgufValueType.ARRAY, value); }

    public GgufWriter putStringArray(String key, List<String> strings) {
        return putArray(key, new GgufArray(GgufValueType.STRING, List.<Object>copyOf(strings)));
    }

    public GgufWriter putInt32Array(String key, int[] ints) {
        List<Object> boxed = new ArrayList<>(ints.length);
        for (int v : ints) {
            boxed.add(v);
        }
        return putArray(key, new GgufArray(GgufValueType.INT32, boxed));
    }

    public GgufWriter putFloat32Array(String key, float[] floats) {
        List<Object> boxed = new ArrayList<>(floats.length);
        for (float v : floats) {
            boxed.add(v);
        }
        return putArray(key, new GgufArray(GgufValueType.FLOAT32, boxed));
    }

    /** Sets {@code general.alignment} (a power of two; 32 when never set). */
    public GgufWriter alignment(long alignment) {
        return putUint32(GgufHeaderParser.ALIGNMENT_KEY, alignment);
    }

    /** Every key of {@code metadata}, with its type, in its order. */
    public GgufWriter putAll(GgufMetadata metadata) {
        for (String key : metadata.keys()) {
            put(key, metadata.type(key), metadata.asMap().get(key));
        }
        return this;
    }

    /**
     * Puts {@code value}, boxed as {@link GgufMetadata} describes for {@code type}.
     *
     * @throws IllegalArgumentException when the box or its range does not fit {@code type}
     */
    public GgufWriter put(String key, GgufValueType type, Object value) {
        checkName("metadata key", key);
        Objects.requireNonNull(type, "type");
        checkValue(key, type, value, 0);
        if (key.equals(GgufHeaderParser.ALIGNMENT_KEY)) {
            if (type != GgufValueType.UINT32) {
                throw new IllegalArgumentException(key + " must be a UINT32, not " + type);
            }
            long alignment = (Long) value;
            if (alignment == 0 || Long.bitCount(alignment) != 1) {
                throw new IllegalArgumentException(key + " = " + alignment + " is not a power of two");
            }
        }
        values.put(key, value);
        types.put(key, type);
        return this;
    }

    /** The metadata put so far. */
    public GgufMetadata metadata() {
        return new GgufMetadata(values, types);
    }

    // ---- tensors ----

    /**
     * Adds a tensor whose bytes {@code content} will write.
     *
     * @param shape dimensions outermost first (PyTorch order); 1 to 4 of them, each at least 1, the
     *              innermost a multiple of {@code type}'s block size
     */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, TensorContent content) {
        checkName("tensor name", name);
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(content, "content");
        if (tensorNames.contains(name)) {
            throw new IllegalArgumentException("duplicate tensor name '" + name + "'");
        }
        long[] ne = checkedNe(name, type, shape);
        long byteSize;
        try {
            byteSize = type.byteSize(elementCount(name, ne));
        } catch (ModelFormatException e) {
            throw new IllegalArgumentException("tensor '" + name + "': " + e.getMessage(), e);
        }
        tensorNames.add(name);
        tensors.add(new PendingTensor(name, type, ne, byteSize, content));
        return this;
    }

    /** Adds a tensor whose encoded bytes are {@code bytes} (copied when the file is written). */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, MemorySegment bytes) {
        long expected;
        try {
            expected = type.byteSize(elementCount(name, checkedNe(name, type, shape)));
        } catch (ModelFormatException e) {
            throw new IllegalArgumentException("tensor '" + name + "': " + e.getMessage(), e);
        }
        if (bytes.byteSize() != expected) {
            throw new IllegalArgumentException("tensor '" + name + "' " + type + " " + Arrays.toString(shape) + " takes "
                    + expected + " bytes, " + bytes.byteSize() + " given");
        }
        return addTensor(name, type, shape, dst -> MemorySegment.copy(bytes, 0, dst, 0, expected));
    }

    /** Adds a tensor of {@code floats}, encoded as {@code type} by {@link Quantizer} when written. */
    public GgufWriter addTensor(String name, GgmlType type, long[] shape, float[] floats) {
        if (!Quantizer.canEncode(type)) {
            throw new IllegalArgumentException("tensor '" + name + "': no encoder for " + type);
        }
        long elements = elementCount(name, checkedNe(name, type, shape));
        if (floats.length != elements) {
            throw new IllegalArgumentException("tensor '" + name + "' " + Arrays.toString(shape) + " has " + elements
                    + " elements, " + floats.length + " given");
        }
        float[] copy = floats.clone();
        return addTensor(name, type, shape, dst -> Quantizer.quantize(type, copy, 0, dst, 0, copy.length));
    }

    // ---- output ----

    /**
     * Writes the file, replacing {@code path}. On failure the partial file is deleted.
     *
     * @throws IOException as thrown by the file system or a {@link TensorContent}
     */
    public void write(Path path) throws IOException {
        long alignment = values.containsKey(GgufHeaderParser.ALIGNMENT_KEY)
                ? (Long) values.get(GgufHeaderParser.ALIGNMENT_KEY) : GgufHeaderParser.DEFAULT_ALIGNMENT;

        LittleEndianBuffer header = new LittleEndianBuffer();
        header.u32(GgufHeaderParser.MAGIC);
        header.u32(VERSION);
        header.u64(tensors.size());
        header.u64(values.size());
        for (Map.Entry<String, Object> kv : values.entrySet()) {
            GgufValueType type = types.get(kv.getKey());
            header.string(utf8(kv.getKey()));
            header.u32(type.id());
            writeValue(header, type, kv.getValue());
        }
        long[] offsets = new long[tensors.size()];
        long end = 0;
        for (int i = 0; i < tensors.size(); i++) {
            PendingTensor t = tensors.get(i);
            offsets[i] = end;
            header.string(utf8(t.name()));
            header.u32(t.ne().length);
            for (long d : t.ne()) {
                header.u64(d);
            }
            header.u32(t.type().id());
            header.u64(offsets[i]);
            end = GgufHeaderParser.alignUp(Math.addExact(end, t.byteSize()), alignment);
        }
        long dataOffset = GgufHeaderParser.alignUp(header.size(), alignment);
        long fileSize = Math.addExact(dataOffset, end);

        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
                StandardOpenOption.READ, StandardOpenOption.WRITE)) {
            writeFully(channel, header.asByteBuffer(), 0);
            for (int i = 0; i < tensors.size(); i++) {
                PendingTensor t = tensors.get(i);
                try (Arena arena = Arena.ofConfined()) {
                    // A fresh region of the file reads as zeros, so padding needs no writes.
                    MemorySegment window = channel.map(FileChannel.MapMode.READ_WRITE, dataOffset + offsets[i],
                            t.byteSize(), arena);
                    t.content().writeTo(window);
                }
            }
            if (channel.size() < fileSize) {
                writeFully(channel, ByteBuffer.allocate(1), fileSize - 1);
            }
        } catch (Throwable t) {
            try {
                Files.deleteIfExists(path);
            } catch (IOException e) {
                t.addSuppressed(e);
            }
            throw t;
        }
    }

    private static void writeFully(FileChannel channel, ByteBuffer buffer, long position) throws IOException {
        while (buffer.hasRemaining()) {
            position += channel.write(buffer, position);
        }
    }

    private static void writeValue(LittleEndianBuffer out, GgufValueType type, Object value) {
        switch (type) {
            case UINT8, INT8 -> out.u8((Integer) value);
            case UINT16, INT16 -> out.u16((Integer) value);
            case UINT32 -> out.u32((int) (long) (Long) value);
            case INT32 -> out.u32((Integer) value);
            case UINT64, INT64 -> out.u64((Long) value);
            case FLOAT32 -> out.f32((Float) value);
            case FLOAT64 -> out.f64((Double) value);
            case BOOL -> out.u8((Boolean) value ? 1 : 0);
            case STRING -> out.string(utf8((String) value));
            case ARRAY -> {
                GgufArray array = (GgufArray) value;
                out.u32(array.elementType().id());
                out.u64(array.size());
                for (Object element : array.values()) {
                    writeValue(out, array.elementType(), element);
                }
            }
        }
    }

    // ---- validation ----

    private static void checkName(String what, String name) {
        Objects.requireNonNull(name, what);
        if (name.isEmpty()) {
            throw new IllegalArgumentException(what + " is empty");
        }
        if (utf8(name).length > GgufHeaderParser.MAX_NAME_BYTES) {
            throw new IllegalArgumentException(what + " longer than " + GgufHeaderParser.MAX_NAME_BYTES + " bytes");
        }
    }

    private static void checkValue(String key, GgufValueType type, Object value, int depth) {
        boolean ok = switch (type) {
            case UINT8 -> intIn(value, 0, 0xFF);
            case INT8 -> intIn(value, Byte.MIN_VALUE, Byte.MAX_VALUE);
            case UINT16 -> intIn(value, 0, 0xFFFF);
            case INT16 -> intIn(value, Short.MIN_VALUE, Short.MAX_VALUE);
            case INT32 -> value instanceof Integer;
            case UINT32 -> value instanceof Long l && l >= 0 && l <= 0xFFFF_FFFFL;
            case UINT64 -> value instanceof Long l && l >= 0;
            case INT64 -> value instanceof Long;
            case FLOAT32 -> value instanceof Float;
            case FLOAT64 -> value instanceof Double;
            case BOOL -> value instanceof Boolean;
            case STRING -> value instanceof String s && utf8(s).length <= GgufCursor.MAX_STRING_BYTES;
            case ARRAY -> value instanceof GgufArray;
        };
        if (!ok) {
            throw new IllegalArgumentException("metadata " + key + ": " + describe(value) + " is not a valid " + type
                    + " (see GgufMetadata for the boxes)");
        }
        if (value instanceof GgufArray array) {
            if (depth + 1 > GgufHeaderParser.MAX_ARRAY_DEPTH) {
                throw new IllegalArgumentException("metadata " + key + ": arrays nested deeper than "
                        + GgufHeaderParser.MAX_ARRAY_DEPTH);
            }
            if (array.size() > GgufHeaderParser.MAX_ARRAY_LENGTH) {
                throw new IllegalArgumentException("metadata " + key + ": array longer than "
                        + GgufHeaderParser.MAX_ARRAY_LENGTH);
            }
            for (Object element : array.values()) {
                checkValue(key, array.elementType(), element, depth + 1);
            }
        }
    }

    private static boolean intIn(Object value, int min, int max) {
        return value instanceof Integer i && i >= min && i <= max;
    }

    private static String describe(Object value) {
        return value == null ? "null" : value.getClass().getSimpleName() + " " + value;
    }

    private static long[] checkedNe(String name, GgmlType type, long[] shape) {
        if (shape.length < 1 || shape.length > GgufHeaderParser.MAX_DIMS) {
            throw new IllegalArgumentException("tensor '" + name + "': " + shape.length + " dimensions, must be 1.."
                    + GgufHeaderParser.MAX_DIMS);
        }
        long[] ne = new long[shape.length];
        for (int i = 0; i < shape.length; i++) {
            if (shape[i] < 1) {
                throw new IllegalArgumentException("tensor '" + name + "': dimension " + i + " is " + shape[i]);
            }
            ne[shape.length - 1 - i] = shape[i];
        }
        if (ne[0] % type.blockSize() != 0) {
            throw new IllegalArgumentException("tensor '" + name + "': innermost dimension " + ne[0]
                    + " is not a multiple of the " + type + " block size " + type.blockSize());
        }
        return ne;
    }

    private static long elementCount(String name, long[] ne) {
        long n = 1;
        for (long d : ne) {
            try {
                n = Math.multiplyExact(n, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensor '" + name + "': element count overflows", e);
            }
        }
        return n;
    }

    private static byte[] utf8(String s) {
        CharsetEncoder encoder = StandardCharsets.UTF_8.newEncoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        try {
            ByteBuffer encoded = encoder.encode(CharBuffer.wrap(s));
            byte[] bytes = new byte[encoded.remaining()];
            encoded.get(bytes);
            return bytes;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("string is not valid Unicode (unpaired surrogate?): " + e.getMessage(), e);
        }
    }
}
