package dev.sptsrag.inference.safetensors;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.json.Json;

import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The JSON header of a safetensors file, checked against the size of the byte buffer that follows
 * it. Every entry's dtype, shape and byte range is validated here, before anything slices the
 * mapped file, so that a {@link SafetensorsFile} only ever hands out views that lie inside it.
 *
 * <p>Checks: the header is UTF-8 and a JSON object starting with '{'; {@code __metadata__}, when
 * present, maps strings to strings; every other key is a tensor with a known {@code dtype}, a
 * {@code shape} of non-negative integers whose product fits a long, and {@code data_offsets}
 * {@code [begin, end]} inside the buffer, holding exactly the shape's bytes and overlapping no
 * other tensor. Gaps between tensors are tolerated (the format does not need them, but they are
 * harmless). Unknown keys inside a tensor entry are ignored, for forward compatibility.
 */
record SafetensorsHeader(List<Entry> entries, Map<String, String> metadata) {

    /** One tensor as the header describes it; offsets are relative to the start of the byte buffer. */
    record Entry(String name, SafetensorsDtype dtype, long[] shape, long begin, long end) {
        long byteLength() { return end - begin; }
    }

    static final String METADATA_KEY = "__metadata__";

    SafetensorsHeader {
        entries = List.copyOf(entries);
        metadata = Collections.unmodifiableMap(new LinkedHashMap<>(metadata));
    }

    /**
     * Parses and validates a header.
     *
     * @param headerBytes the {@code N} bytes after the length field
     * @param dataLength  bytes in the file after the header
     * @param source      names the file in error messages
     * @throws ModelFormatException      when anything is malformed or inconsistent
     * @throws UnsupportedModelException when the file is well-formed but holds a tensor of a dtype
     *                                   the engine does not read
     */
    static SafetensorsHeader parse(byte[] headerBytes, long dataLength, String source) {
        if (headerBytes.length == 0 || headerBytes[0] != '{') {
            throw new ModelFormatException(source + ": safetensors header must start with '{'");
        }
        Map<String, Object> root = Json.parseObject(decodeUtf8(headerBytes, source), source + " (safetensors header)");

        Map<String, String> metadata = new LinkedHashMap<>();
        List<Entry> entries = new ArrayList<>(root.size());
        for (Map.Entry<String, Object> e : root.entrySet()) {
            if (e.getKey().equals(METADATA_KEY)) {
                metadata = readMetadata(e.getValue(), source);
            } else {
                entries.add(readEntry(e.getKey(), e.getValue(), dataLength, source));
            }
        }
        checkNoOverlap(entries, source);
        // Reported only once the whole header is known to be sound: a corrupt file is a format
        // error even if it also names a dtype we do not read.
        for (Entry entry : entries) {
            if (!entry.dtype().isSupported()) {
                throw new UnsupportedModelException(source + ": tensor \"" + entry.name() + "\" has dtype "
                        + entry.dtype() + "; the engine reads safetensors tensors of F32, F16 and BF16 only");
            }
        }
        return new SafetensorsHeader(entries, metadata);
    }

    private static String decodeUtf8(byte[] bytes, String source) {
        try {
            return StandardCharsets.UTF_8.newDecoder()
                    .onMalformedInput(CodingErrorAction.REPORT)
                    .onUnmappableCharacter(CodingErrorAction.REPORT)
                    .decode(ByteBuffer.wrap(bytes))
                    .toString();
        } catch (CharacterCodingException e) {
            throw new ModelFormatException(source + ": safetensors header is not valid UTF-8");
        }
    }

    private static Map<String, String> readMetadata(Object value, String source) {
        if (!(value instanceof Map<?, ?> map)) {
            throw new ModelFormatException(source + ": \"" + METADATA_KEY + "\" must be an object");
        }
        Map<String, String> metadata = new LinkedHashMap<>();
        for (Map.Entry<?, ?> e : map.entrySet()) {
            if (!(e.getValue() instanceof String s)) {
                throw new ModelFormatException(source + ": \"" + METADATA_KEY + "\" value of \"" + e.getKey()
                        + "\" must be a string");
            }
            metadata.put((String) e.getKey(), s);
        }
        return metadata;
    }

    private static Entry readEntry(String name, Object value, long dataLength, String source) {
        String where = source + ": tensor \"" + name + "\"";
        if (!(value instanceof Map<?, ?> info)) {
            throw new ModelFormatException(where + " must be described by an object");
        }
        if (!(info.get("dtype") instanceof String dtypeName)) {
            throw new ModelFormatException(where + ": \"dtype\" must be a string");
        }
        SafetensorsDtype dtype = SafetensorsDtype.byName(dtypeName);
        if (dtype == null) {
            throw new ModelFormatException(where + ": unknown dtype \"" + dtypeName + "\"");
        }
        long[] shape = longs(info.get("shape"), "shape", where);
        long elements = elementCount(shape, where);

        long[] offsets = longs(info.get("data_offsets"), "data_offsets", where);
        if (offsets.length != 2) {
            throw new ModelFormatException(where + ": \"data_offsets\" must be [begin, end]");
        }
        long begin = offsets[0];
        long end = offsets[1];
        if (begin > end) {
            throw new ModelFormatException(where + ": data_offsets begin " + begin + " is after end " + end);
        }
        if (end > dataLength) {
            throw new ModelFormatException(where + ": data_offsets end " + end + " is past the "
                    + dataLength + " data bytes of the file");
        }
        long expected = dtype.byteSize(elements, name);
        if (end - begin != expected) {
            throw new ModelFormatException(where + ": data_offsets span " + (end - begin) + " bytes but "
                    + Arrays.toString(shape) + " " + dtype + " needs " + expected);
        }
        return new Entry(name, dtype, shape, begin, end);
    }

    /** A JSON array of non-negative integers that fit a long. */
    private static long[] longs(Object value, String key, String where) {
        if (!(value instanceof List<?> list)) {
            throw new ModelFormatException(where + ": \"" + key + "\" must be an array of non-negative integers");
        }
        long[] out = new long[list.size()];
        for (int i = 0; i < out.length; i++) {
            // Json yields Long for every integer that fits; anything else (fraction, exponent,
            // overflow, non-number) is not a size.
            if (!(list.get(i) instanceof Long l) || l < 0) {
                throw new ModelFormatException(where + ": \"" + key + "\" must be an array of non-negative integers, found "
                        + list.get(i));
            }
            out[i] = l;
        }
        return out;
    }

    /**
     * The product of the dimensions. Zero dimensions make the product zero, but the other
     * dimensions must still multiply without overflow so that code reading the shape
     * (strides, row counts) can never overflow either.
     */
    private static long elementCount(long[] shape, String where) {
        long nonZeroProduct = 1;
        boolean empty = false;
        for (long d : shape) {
            if (d == 0) {
                empty = true;
                continue;
            }
            try {
                nonZeroProduct = Math.multiplyExact(nonZeroProduct, d);
            } catch (ArithmeticException e) {
                throw new ModelFormatException(where + ": shape " + Arrays.toString(shape)
                        + " has more elements than a long can count");
            }
        }
        return empty ? 0 : nonZeroProduct;
    }

    private static void checkNoOverlap(List<Entry> entries, String source) {
        List<Entry> byBegin = new ArrayList<>(entries.size());
        for (Entry e : entries) {
            if (e.byteLength() > 0) { // an empty range holds no bytes, so it cannot overlap anything
                byBegin.add(e);
            }
        }
        byBegin.sort(Comparator.comparingLong(Entry::begin));
        for (int i = 1; i < byBegin.size(); i++) {
            Entry previous = byBegin.get(i - 1);
            Entry current = byBegin.get(i);
            if (current.begin() < previous.end()) {
                throw new ModelFormatException(source + ": tensors \"" + previous.name() + "\" [" + previous.begin()
                        + ", " + previous.end() + ") and \"" + current.name() + "\" [" + current.begin() + ", "
                        + current.end() + ") overlap");
            }
        }
    }
}
