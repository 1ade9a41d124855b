package dev.sptsrag.inference.safetensors;

import dev.sptsrag.inference.tensor.GgmlType;

import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Builds a {@code .safetensors} file from F32, F16 and BF16 tensors given as little-endian bytes.
 * Tensors are stored in the order they are added, back to back; the header is padded with spaces
 * so that the tensor bytes start on an 8-byte boundary, as Hugging Face's writer does, which
 * keeps every F32/F16/BF16 tensor aligned to its element size.
 *
 * <p>Meant for tests and tools, so it keeps everything in memory. Misuse (wrong byte count,
 * duplicate names) is an {@link IllegalArgumentException}.
 */
public final class SafetensorsWriter {
    private record Pending(String name, SafetensorsDtype dtype, long[] shape, byte[] data) {
    }

    private final Map<String, String> metadata = new LinkedHashMap<>();
    private final List<Pending> tensors = new ArrayList<>();
    private final Set<String> names = new HashSet<>();

    /** Adds an entry to the header's {@code __metadata__}. */
    public SafetensorsWriter metadata(String key, String value) {
        metadata.put(requireEncodable(key), requireEncodable(value));
        return this;
    }

    /**
     * Adds a tensor. {@code shape} is outermost first; an empty shape is a scalar (one element)
     * and a zero dimension makes an empty tensor.
     *
     * @param data the values, little-endian, exactly {@code product(shape) * elementSize} bytes
     */
    public SafetensorsWriter add(String name, GgmlType type, long[] shape, byte[] data) {
        requireEncodable(name);
        if (name.equals(SafetensorsHeader.METADATA_KEY)) {
            throw new IllegalArgumentException("\"" + SafetensorsHeader.METADATA_KEY + "\" is reserved for metadata");
        }
        if (!names.add(name)) {
            throw new IllegalArgumentException("duplicate tensor \"" + name + "\"");
        }
        SafetensorsDtype dtype = SafetensorsDtype.of(type);
        long elements = 1;
        for (long d : shape) {
            if (d < 0) {
                throw new IllegalArgumentException("tensor \"" + name + "\": negative dimension in " + Arrays.toString(shape));
            }
            try {
                elements = Math.multiplyExact(elements, d);
            } catch (ArithmeticException e) {
                throw new IllegalArgumentException("tensor \"" + name + "\": shape " + Arrays.toString(shape) + " overflows");
            }
        }
        long expected = dtype.byteSize(elements, name);
        if (data.length != expected) {
            throw new IllegalArgumentException("tensor \"" + name + "\": " + Arrays.toString(shape) + " " + type
                    + " needs " + expected + " bytes, got " + data.length);
        }
        tensors.add(new Pending(name, dtype, shape.clone(), data.clone()));
        return this;
    }

    /** Adds an F32 tensor from floats. */
    public SafetensorsWriter addF32(String name, long[] shape, float[] values) {
        ByteBuffer bytes = ByteBuffer.allocate(values.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
        bytes.asFloatBuffer().put(values);
        return add(name, GgmlType.F32, shape, bytes.array());
    }

    /** The whole file: length field, padded header, tensor bytes. */
    public byte[] toByteArray() {
        byte[] header = headerJson().getBytes(StandardCharsets.UTF_8);
        int padded = (Long.BYTES + header.length + 7) / 8 * 8 - Long.BYTES;
        long dataBytes = 0;
        for (Pending t : tensors) {
            dataBytes += t.data().length;
        }
        long total = Long.BYTES + padded + dataBytes;
        if (total > Integer.MAX_VALUE - 8) {
            throw new IllegalArgumentException("file of " + total + " bytes is too large to build in memory");
        }
        ByteBuffer out = ByteBuffer.allocate((int) total).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded);
        out.put(header);
        for (int i = header.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        for (Pending t : tensors) {
            out.put(t.data());
        }
        return out.array();
    }

    public void write(Path file) throws IOException {
        try (OutputStream out = Files.newOutputStream(file)) {
            out.write(toByteArray());
        }
    }

    private String headerJson() {
        StringBuilder json = new StringBuilder("{");
        if (!metadata.isEmpty()) {
            appendString(json, SafetensorsHeader.METADATA_KEY).append(":{");
            boolean first = true;
            for (Map.Entry<String, String> e : metadata.entrySet()) {
                if (!first) {
                    json.append(',');
                }
                first = false;
                appendString(json, e.getKey()).append(':');
                appendString(json, e.getValue());
            }
            json.append('}');
        }
        long offset = 0;
        for (Pending t : tensors) {
            if (json.length() > 1) {
                json.append(',');
            }
            appendString(json, t.name()).append(":{\"dtype\":\"").append(t.dtype().name()).append("\",\"shape\":[");
            for (int i = 0; i < t.shape().length; i++) {
                json.append(i == 0 ? "" : ",").append(t.shape()[i]);
            }
            long end = offset + t.data().length;
            json.append("],\"data_offsets\":[").append(offset).append(',').append(end).append("]}");
            offset = end;
        }
        return json.append('}').toString();
    }

    private static StringBuilder appendString(StringBuilder json, String s) {
        json.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '"' -> json.append("\\\"");
                case '\\' -> json.append("\\\\");
                default -> {
                    if (c < 0x20) {
                        json.append(String.format("\\u%04x", (int) c));
                    } else {
                        json.append(c);
                    }
                }
            }
        }
        return json.append('"');
    }

    /** Rejects strings with unpaired surrogates, which have no UTF-8 form. */
    private static String requireEncodable(String s) {
        try {
            StandardCharsets.UTF_8.newEncoder().encode(CharBuffer.wrap(s));
            return s;
        } catch (CharacterCodingException e) {
            throw new IllegalArgumentException("string is not valid Unicode (unpaired surrogate): " + s);
        }
    }
}
