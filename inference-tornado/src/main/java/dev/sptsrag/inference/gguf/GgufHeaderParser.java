package dev.sptsrag.inference.gguf;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.tensor.GgmlType;

import java.lang.foreign.MemorySegment;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Parses and validates the header, metadata and tensor-info table of a GGUF v2/v3 file. Layout (all
 * little-endian): magic "GGUF", u32 version, u64 tensor_count, u64 metadata_kv_count, the key/value
 * pairs, the tensor infos, padding to {@code general.alignment}, then the data section.
 *
 * <p>Every count and length is checked against the bytes left in the file before anything is sized
 * from it, so a hostile file cannot make the reader allocate more than a small multiple of its own
 * size; every tensor's byte range is checked to lie inside the file.
 */
final class GgufHeaderParser {
    /** "GGUF" read as a little-endian u32. */
    static final int MAGIC = 0x46554747;
    static final String ALIGNMENT_KEY = "general.alignment";
    static final long DEFAULT_ALIGNMENT = 32;
    static final int MAX_DIMS = 4;
    /** Keys and tensor names: the spec bounds keys at 2^16-1 bytes; names are held to the same. */
    static final long MAX_NAME_BYTES = 65_535;
    /** The spec does not bound nesting; real files nest at most once. */
    static final int MAX_ARRAY_DEPTH = 8;
    /** Far above any real vocabulary (~256k); keeps boxed arrays to a sane heap size. */
    static final long MAX_ARRAY_LENGTH = 1L << 24;

    // Smallest encodings, used to bound counts by the bytes left: a name is u64 length + >= 1 byte.
    private static final long MIN_NAME_BYTES = 8 + 1;
    private static final long MIN_KV_BYTES = MIN_NAME_BYTES + 4 + 1;
    private static final long MIN_TENSOR_INFO_BYTES = MIN_NAME_BYTES + 4 + 8 + 4 + 8;

    private final GgufCursor in;

    private GgufHeaderParser(MemorySegment file) {
        this.in = new GgufCursor(file);
    }

    static GgufHeader parse(MemorySegment file) {
        return new GgufHeaderParser(file).parse();
    }

    private GgufHeader parse() {
        int version = readMagicAndVersion();
        long tensorCount = in.count("tensor_count", MIN_TENSOR_INFO_BYTES);
        long kvCount = in.count("metadata_kv_count", MIN_KV_BYTES);

        GgufMetadata metadata = readMetadata(kvCount);
        long alignment = alignmentOf(metadata);

        // The count is bounded by the file's size, which can still exceed an int for huge files.
        List<GgufTensorInfo> infos = new ArrayList<>((int) Math.min(tensorCount, 4096));
        Set<String> names = new HashSet<>();
        for (long i = 0; i < tensorCount; i++) {
            GgufTensorInfo info = readTensorInfo(i, alignment);
            if (!names.add(info.name())) {
                throw new ModelFormatException("duplicate tensor name '" + info.name() + "' (tensor info " + i + ")");
            }
            infos.add(info);
        }

        long dataOffset = alignUp(in.position(), alignment);
        checkTensorRanges(infos, dataOffset);
        return new GgufHeader(version, metadata, infos, alignment, dataOffset);
    }

    private int readMagicAndVersion() {
        int magic = in.i32();
        if (magic != MAGIC) {
            throw new ModelFormatException("not a GGUF file: starts with bytes " + hexBytes(magic)
                    + ", expected 47 47 55 46 (\"GGUF\")");
        }
        int version = in.i32();
        if (version == 2 || version == 3) {
            return version;
        }
        if (version == 1) {
            throw new UnsupportedModelException("GGUF version 1 (32-bit counts) is not supported;"
                    + " re-convert the model with a current llama.cpp to get version 3");
        }
        int swapped = Integer.reverseBytes(version);
        if (swapped >= 1 && swapped <= 3) {
            throw new UnsupportedModelException("big-endian GGUF (version " + swapped
                    + " stored big-endian) is not supported; only little-endian files are read");
        }
        if (version > 3 && version <= 0xFFFF) {
            throw new UnsupportedModelException("GGUF version " + version + " is newer than this reader (2 and 3)");
        }
        throw new ModelFormatException("implausible GGUF version " + Integer.toUnsignedString(version) + " at offset 4");
    }

    private GgufMetadata readMetadata(long kvCount) {
        Map<String, Object> values = new LinkedHashMap<>();
        Map<String, GgufValueType> types = new LinkedHashMap<>();
        for (long i = 0; i < kvCount; i++) {
            long at = in.position();
            String key;
            try {
                key = in.string(MAX_NAME_BYTES);
            } catch (ModelFormatException e) {
                throw new ModelFormatException("metadata entry " + i + " at offset " + at + ": key: " + e.getMessage(), e);
            }
            if (key.isEmpty()) {
                throw new ModelFormatException("metadata entry " + i + " at offset " + at + " has an empty key");
            }
            if (values.containsKey(key)) {
                throw new ModelFormatException("duplicate metadata key '" + key + "' (entry " + i + " at offset " + at + ")");
            }
            try {
                GgufValueType type = GgufValueType.fromId(in.i32());
                values.put(key, readValue(type, 0));
                types.put(key, type);
            } catch (ModelFormatException e) {
                throw new ModelFormatException("metadata key '" + key + "' (entry " + i + " at offset " + at + "): "
                        + e.getMessage(), e);
            } catch (UnsupportedModelException e) {
                throw new UnsupportedModelException("metadata key '" + key + "': " + e.getMessage());
            }
        }
        return new GgufMetadata(values, types);
    }

    private Object readValue(GgufValueType type, int depth) {
        return switch (type) {
            case UINT8 -> in.u8();
            case INT8 -> in.i8();
            case UINT16 -> in.u16();
            case INT16 -> in.i16();
            case UINT32 -> in.u32();
            case INT32 -> in.i32();
            case FLOAT32 -> in.f32();
            case BOOL -> readBool();
            case STRING -> in.string(GgufCursor.MAX_STRING_BYTES);
            case ARRAY -> readArray(depth + 1);
            case UINT64 -> readUint64();
            case INT64 -> in.i64();
            case FLOAT64 -> in.f64();
        };
    }

    private Boolean readBool() {
        long at = in.position();
        int b = in.u8();
        if (b > 1) {
            throw new ModelFormatException("BOOL at offset " + at + " is " + b + ", not 0 or 1");
        }
        return b == 1;
    }

    private Long readUint64() {
        long at = in.position();
        long v = in.i64();
        if (v < 0) {
            // GgufMetadata boxes UINT64 as Long; values that need the 64th bit have no faithful box.
            throw new ModelFormatException("UINT64 " + Long.toUnsignedString(v) + " at offset " + at
                    + " exceeds " + Long.MAX_VALUE);
        }
        return v;
    }

    private GgufArray readArray(int depth) {
        long at = in.position();
        if (depth > MAX_ARRAY_DEPTH) {
            throw new ModelFormatException("arrays nested deeper than " + MAX_ARRAY_DEPTH + " at offset " + at);
        }
        GgufValueType elementType = GgufValueType.fromId(in.i32());
        long n = in.count("array length", minEncodedBytes(elementType));
        if (n > MAX_ARRAY_LENGTH) {
            throw new UnsupportedModelException("array of " + n + " " + elementType + " at offset " + at
                    + " is longer than this reader's limit of " + MAX_ARRAY_LENGTH);
        }
        List<Object> values = new ArrayList<>((int) n);
        for (long i = 0; i < n; i++) {
            values.add(readValue(elementType, depth));
        }
        return new GgufArray(elementType, values);
    }

    private static long minEncodedBytes(GgufValueType type) {
        return switch (type) {
            case STRING -> 8;     // u64 length, possibly empty
            case ARRAY -> 4 + 8;  // element type + length
            default -> type.fixedSize();
        };
    }

    private static long alignmentOf(GgufMetadata metadata) {
        if (!metadata.contains(ALIGNMENT_KEY)) {
            return DEFAULT_ALIGNMENT;
        }
        if (metadata.type(ALIGNMENT_KEY) != GgufValueType.UINT32) {
            throw new ModelFormatException(ALIGNMENT_KEY + " must be a UINT32, found " + metadata.type(ALIGNMENT_KEY));
        }
        long alignment = metadata.getLong(ALIGNMENT_KEY);
        if (alignment == 0 || Long.bitCount(alignment) != 1) {
            throw new ModelFormatException(ALIGNMENT_KEY + " = " + alignment + " is not a power of two");
        }
        return alignment;
    }

    private GgufTensorInfo readTensorInfo(long index, long alignment) {
        long at = in.position();
        String name;
        try {
            name = in.string(MAX_NAME_BYTES);
        } catch (ModelFormatException e) {
            throw new ModelFormatException("tensor info " + index + " at offset " + at + ": name: " + e.getMessage(), e);
        }
        if (name.isEmpty()) {
            throw new ModelFormatException("tensor info " + index + " at offset " + at + " has an empty name");
        }
        String where = "tensor '" + name + "' (info " + index + " at offset " + at + ")";
        try {
            return readTensorShapeTypeOffset(name, alignment);
        } catch (ModelFormatException e) {
            throw new ModelFormatException(where + ": " + e.getMessage(), e);
        } catch (UnsupportedModelException e) {
            throw new UnsupportedModelException(where + ": " + e.getMessage());
        }
    }

    private GgufTensorInfo readTensorShapeTypeOffset(String name, long alignment) {
        long nDims = in.u32();
        if (nDims < 1 || nDims > MAX_DIMS) {
            throw new ModelFormatException("n_dims " + nDims + " is outside 1.." + MAX_DIMS);
        }
        long[] ne = new long[(int) nDims];
        long elements = 1;
        for (int d = 0; d < ne.length; d++) {
            ne[d] = in.i64();
            if (ne[d] < 1) {
                // ggml allows empty tensors; a model weight never is one, so 0 is treated as damage.
                throw new ModelFormatException("ne[" + d + "] = " + Long.toUnsignedString(ne[d])
                        + " (must be 1.." + Long.MAX_VALUE + ")");
            }
            try {
                elements = Math.multiplyExact(elements, ne[d]);
            } catch (ArithmeticException e) {
                throw new ModelFormatException("element count of " + Arrays.toString(ne) + " overflows a long", e);
            }
        }
        GgmlType type = GgmlType.fromId(in.i32());
        if (ne[0] % type.blockSize() != 0) {
            throw new ModelFormatException("ne[0] = " + ne[0] + " is not a multiple of the " + type + " block size "
                    + type.blockSize());
        }
        long byteSize = type.byteSize(elements);
        long offsetAt = in.position();
        long offset = in.i64();
        if (offset < 0) {
            throw new ModelFormatException("data offset " + Long.toUnsignedString(offset) + " (at offset " + offsetAt
                    + ") lies past the end of any file");
        }
        if (offset % alignment != 0) {
            throw new ModelFormatException("data offset " + Long.toUnsignedString(offset) + " (at offset " + offsetAt
                    + ") is not a multiple of the alignment " + alignment);
        }
        return new GgufTensorInfo(name, type, ne, offset, byteSize);
    }

    private void checkTensorRanges(List<GgufTensorInfo> infos, long dataOffset) {
        long fileSize = in.fileSize();
        for (GgufTensorInfo t : infos) {
            // Written as subtractions so that no sum can overflow.
            if (dataOffset > fileSize || t.relativeOffset() > fileSize - dataOffset
                    || t.byteSize() > fileSize - dataOffset - t.relativeOffset()) {
                throw new ModelFormatException("tensor '" + t.name() + "': " + t.byteSize() + " bytes at data offset "
                        + t.relativeOffset() + " (absolute " + dataOffset + " + " + t.relativeOffset()
                        + ") run past the end of the file (" + fileSize + " bytes)");
            }
        }
        List<GgufTensorInfo> byOffset = new ArrayList<>(infos);
        byOffset.sort(Comparator.comparingLong(GgufTensorInfo::relativeOffset));
        for (int i = 1; i < byOffset.size(); i++) {
            GgufTensorInfo prev = byOffset.get(i - 1);
            GgufTensorInfo next = byOffset.get(i);
            if (next.relativeOffset() < prev.relativeOffset() + prev.byteSize()) {
                throw new ModelFormatException("tensors '" + prev.name() + "' [" + prev.relativeOffset() + ", "
                        + (prev.relativeOffset() + prev.byteSize()) + ") and '" + next.name() + "' ["
                        + next.relativeOffset() + ", ...) overlap in the data section");
            }
        }
    }

    static long alignUp(long offset, long alignment) {
        return (offset + alignment - 1) & -alignment;
    }

    private static String hexBytes(int littleEndian) {
        StringBuilder sb = new StringBuilder();
        for (int i = 0; i < 4; i++) {
            if (i > 0) {
                sb.append(' ');
            }
            sb.append(String.format("%02x", (littleEndian >>> (8 * i)) & 0xFF));
        }
        return sb.toString();
    }
}
