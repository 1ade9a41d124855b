package dev.sptsrag.inference.gguf;

import dev.sptsrag.inference.tensor.GgmlType;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Test helper: walks a well-formed GGUF file byte by byte (independently of {@link GgufHeaderParser})
 * and records where each header field lies, so tests can damage one field precisely.
 */
final class GgufLayout {
    enum Kind {
        MAGIC, VERSION, TENSOR_COUNT, KV_COUNT,
        KEY_LENGTH, KEY_BYTES, VALUE_TYPE, SCALAR, STRING_LENGTH, STRING_BYTES, ARRAY_TYPE, ARRAY_LENGTH,
        NAME_LENGTH, NAME_BYTES, N_DIMS, NE, TENSOR_TYPE, TENSOR_OFFSET
    }

    /** One field: its kind, where it starts, how many bytes, and a label naming the key or tensor. */
    record Field(Kind kind, long offset, int size, String label, GgufValueType valueType) {
        @Override
        public String toString() {
            return kind + "@" + offset + "(" + label + (valueType != null ? " " + valueType : "") + ")";
        }
    }

    /** A tensor's data range, absolute in the file. */
    record DataRange(String name, long start, long size) {
    }

    final List<Field> fields = new ArrayList<>();
    final List<DataRange> data = new ArrayList<>();
    long infosEnd;
    long dataStart;

    private final ByteBuffer in;
    private String label = "";

    private GgufLayout(byte[] file) {
        in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
    }

    static GgufLayout of(byte[] file) {
        GgufLayout layout = new GgufLayout(file);
        layout.walk();
        return layout;
    }

    List<Field> fields(Kind kind) {
        return fields.stream().filter(f -> f.kind() == kind).toList();
    }

    long dataEnd() {
        return data.stream().mapToLong(r -> r.start() + r.size()).max().orElse(dataStart);
    }

    private void mark(Kind kind, int size, GgufValueType type) {
        fields.add(new Field(kind, in.position(), size, label, type));
    }

    private void walk() {
        mark(Kind.MAGIC, 4, null);
        in.getInt();
        mark(Kind.VERSION, 4, null);
        in.getInt();
        mark(Kind.TENSOR_COUNT, 8, null);
        long tensors = in.getLong();
        mark(Kind.KV_COUNT, 8, null);
        long kvs = in.getLong();
        long alignment = 32;
        for (long i = 0; i < kvs; i++) {
            label = "kv" + i;
            String key = string(Kind.KEY_LENGTH, Kind.KEY_BYTES);
            label = key;
            mark(Kind.VALUE_TYPE, 4, null);
            GgufValueType type = GgufValueType.fromId(in.getInt());
            if (key.equals("general.alignment")) {
                alignment = Integer.toUnsignedLong(in.getInt(in.position()));
            }
            value(type);
        }
        List<long[]> infos = new ArrayList<>();
        List<String> names = new ArrayList<>();
        for (long i = 0; i < tensors; i++) {
            label = "tensor" + i;
            String name = string(Kind.NAME_LENGTH, Kind.NAME_BYTES);
            label = name;
            mark(Kind.N_DIMS, 4, null);
            int dims = in.getInt();
            long elements = 1;
            for (int d = 0; d < dims; d++) {
                mark(Kind.NE, 8, null);
                elements *= in.getLong();
            }
            mark(Kind.TENSOR_TYPE, 4, null);
            GgmlType type = GgmlType.fromId(in.getInt());
            mark(Kind.TENSOR_OFFSET, 8, null);
            long offset = in.getLong();
            infos.add(new long[] {offset, elements / type.blockSize() * type.typeSize()});
            names.add(name);
        }
        infosEnd = in.position();
        dataStart = (infosEnd + alignment - 1) / alignment * alignment;
        for (int i = 0; i < infos.size(); i++) {
            data.add(new DataRange(names.get(i), dataStart + infos.get(i)[0], infos.get(i)[1]));
        }
    }

    private String string(Kind lengthKind, Kind bytesKind) {
        mark(lengthKind, 8, null);
        int n = (int) in.getLong();
        if (n > 0) {
            mark(bytesKind, n, null);
        }
        byte[] b = new byte[n];
        in.get(b);
        return new String(b, StandardCharsets.UTF_8);
    }

    private void value(GgufValueType type) {
        switch (type) {
            case STRING -> string(Kind.STRING_LENGTH, Kind.STRING_BYTES);
            case ARRAY -> {
                mark(Kind.ARRAY_TYPE, 4, null);
                GgufValueType element = GgufValueType.fromId(in.getInt());
                mark(Kind.ARRAY_LENGTH, 8, element);
                long n = in.getLong();
                for (long i = 0; i < n; i++) {
                    value(element);
                }
            }
            default -> {
                mark(Kind.SCALAR, type.fixedSize(), type);
                in.position(in.position() + type.fixedSize());
            }
        }
    }
}
