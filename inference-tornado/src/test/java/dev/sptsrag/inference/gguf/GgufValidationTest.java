package dev.sptsrag.inference.gguf;

import dev.sptsrag.inference.EngineException;
import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.gguf.GgufLayout.Field;
import dev.sptsrag.inference.gguf.GgufLayout.Kind;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/** One precise defect per test; the error must be typed and say what is wrong and where. */
class GgufValidationTest {
    @TempDir
    Path dir;

    private byte[] base;
    private GgufLayout layout;

    @BeforeEach
    void writeSample() throws IOException {
        Path file = dir.resolve("base.gguf");
        GgufSamples.model(32).write(file);
        base = Files.readAllBytes(file);
        layout = GgufLayout.of(base);
        try (GgufFile ok = GgufFile.open(file)) {
            assertEquals(7, ok.tensorInfos().size());
        }
    }

    private Field field(Kind kind, String label) {
        return layout.fields(kind).stream().filter(f -> f.label().equals(label)).findFirst()
                .orElseThrow(() -> new AssertionError("no " + kind + " for " + label + " in " + layout.fields));
    }

    private Field field(Kind kind, String label, int nth) {
        return layout.fields(kind).stream().filter(f -> f.label().equals(label)).skip(nth).findFirst().orElseThrow();
    }

    private static byte[] withU32(byte[] b, long at, int v) {
        byte[] copy = b.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putInt((int) at, v);
        return copy;
    }

    private static byte[] withU64(byte[] b, long at, long v) {
        byte[] copy = b.clone();
        ByteBuffer.wrap(copy).order(ByteOrder.LITTLE_ENDIAN).putLong((int) at, v);
        return copy;
    }

    private static byte[] withBytes(byte[] b, long at, byte... v) {
        byte[] copy = b.clone();
        System.arraycopy(v, 0, copy, (int) at, v.length);
        return copy;
    }

    private <E extends EngineException> String rejects(Class<E> type, byte[] bytes, String... mentions) throws IOException {
        Path file = dir.resolve("damaged.gguf");
        Files.write(file, bytes);
        E e = assertThrows(type, () -> {
            try (GgufFile accepted = GgufFile.open(file)) {
                fail("accepted: " + accepted);
            }
        });
        for (String m : mentions) {
            assertTrue(e.getMessage().contains(m), "message should mention '" + m + "': " + e.getMessage());
        }
        return e.getMessage();
    }

    private String rejects(byte[] bytes, String... mentions) throws IOException {
        return rejects(ModelFormatException.class, bytes, mentions);
    }

    // ---- counts and lengths ----

    @Test
    void countsTheFileCannotHold() throws IOException {
        rejects(withU64(base, field(Kind.TENSOR_COUNT, "").offset(), 1L << 40), "tensor_count", "1099511627776");
        rejects(withU64(base, field(Kind.KV_COUNT, "").offset(), -1L), "metadata_kv_count", "18446744073709551615");
        rejects(withU64(base, field(Kind.ARRAY_LENGTH, "tokenizer.ggml.tokens").offset(), 1L << 50),
                "tokenizer.ggml.tokens", "array length");
        rejects(withU64(base, field(Kind.ARRAY_LENGTH, "tokenizer.ggml.scores").offset(), base.length / 4 + 1),
                "tokenizer.ggml.scores", "array length");
    }

    @Test
    void stringLengths() throws IOException {
        rejects(withU64(base, field(Kind.STRING_LENGTH, "general.name").offset(), base.length),
                "general.name", "truncated");
        rejects(withU64(base, field(Kind.STRING_LENGTH, "general.name").offset(), 1L << 31),
                "general.name", "exceeds the limit");
        rejects(withU64(base, field(Kind.KEY_LENGTH, "kv1").offset(), 70_000), "metadata entry 1", "65535");
        rejects(withU64(base, field(Kind.KEY_LENGTH, "kv1").offset(), 0), "empty key");
        rejects(withU64(base, field(Kind.NAME_LENGTH, "tensor2").offset(), 0), "tensor info 2", "empty name");
    }

    @Test
    void invalidUtf8() throws IOException {
        long name = field(Kind.STRING_BYTES, "general.name").offset();
        rejects(withBytes(base, name, (byte) 0xFF), "general.name", "UTF-8");
        rejects(withBytes(base, name, (byte) 0xC0, (byte) 0x80), "general.name", "UTF-8");        // overlong NUL
        rejects(withBytes(base, name, (byte) 0xED, (byte) 0xA0, (byte) 0x80), "UTF-8");           // surrogate
        rejects(withBytes(base, field(Kind.STRING_BYTES, "tokenizer.ggml.tokens", 2).offset(), (byte) 0x80),
                "tokenizer.ggml.tokens", "UTF-8");
        rejects(withBytes(base, field(Kind.KEY_BYTES, "kv3").offset(), (byte) 0xFE), "metadata entry 3", "UTF-8");
        rejects(withBytes(base, field(Kind.NAME_BYTES, "tensor4").offset(), (byte) 0xF8), "tensor info 4", "UTF-8");
    }

    @Test
    void duplicates() throws IOException {
        // Key and name fields are labelled by position: kv6 is "test.int16", tensor3 "blk.0.attn_k.weight".
        // Each has the same length as the name it is renamed to.
        assertEquals("test.int16", new String(base, (int) field(Kind.KEY_BYTES, "kv6").offset(), 10,
                StandardCharsets.UTF_8));
        byte[] dupKey = withBytes(base, field(Kind.KEY_BYTES, "kv6").offset(),
                "test.uint8".getBytes(StandardCharsets.UTF_8));
        rejects(dupKey, "duplicate metadata key 'test.uint8'");
        byte[] dupTensor = withBytes(base, field(Kind.NAME_BYTES, "tensor3").offset(),
                "blk.0.attn_q.weight".getBytes(StandardCharsets.UTF_8));
        rejects(dupTensor, "duplicate tensor name 'blk.0.attn_q.weight'");
    }

    // ---- tensor infos ----

    @Test
    void dimensions() throws IOException {
        String t = "blk.0.ffn_up.weight"; // Q8_0 [2, 64]: ne = {64, 2}
        rejects(withU32(base, field(Kind.N_DIMS, t).offset(), 0), t, "n_dims 0");
        rejects(withU32(base, field(Kind.N_DIMS, t).offset(), 5), t, "n_dims 5");
        rejects(withU32(base, field(Kind.N_DIMS, t).offset(), -1), t, "n_dims 4294967295");
        rejects(withU64(base, field(Kind.NE, t, 1).offset(), 0), t, "ne[1] = 0");
        rejects(withU64(base, field(Kind.NE, t, 1).offset(), Long.MIN_VALUE), t, "ne[1] = 9223372036854775808");
        rejects(withU64(base, field(Kind.NE, t, 0).offset(), 48), t, "not a multiple of the Q8_0 block size 32");
        rejects(withU64(base, field(Kind.NE, t, 1).offset(), 1L << 40), t, "past the end");
        rejects(withU64(base, field(Kind.NE, t, 1).offset(), Long.MAX_VALUE), t, "overflow");
        byte[] overflow = withU64(base, field(Kind.NE, "token_embd.weight", 0).offset(), 1L << 32);
        overflow = withU64(overflow, field(Kind.NE, "token_embd.weight", 1).offset(), 1L << 32);
        rejects(overflow, "token_embd.weight", "overflows");
    }

    @Test
    void tensorTypes() throws IOException {
        String t = "blk.0.attn_q.weight";
        rejects(withU32(base, field(Kind.TENSOR_TYPE, t).offset(), 99), t, "unknown ggml tensor type id 99");
        rejects(withU32(base, field(Kind.TENSOR_TYPE, t).offset(), 4), t, "type id 4");
        rejects(UnsupportedModelException.class, withU32(base, field(Kind.TENSOR_TYPE, t).offset(), 16), t,
                "not supported");
    }

    @Test
    void offsets() throws IOException {
        Field offset = field(Kind.TENSOR_OFFSET, "blk.0.attn_q.weight");
        long original = ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN).getLong((int) offset.offset());
        rejects(withU64(base, offset.offset(), original + 1), "blk.0.attn_q.weight", "alignment 32");
        rejects(withU64(base, offset.offset(), -32), "blk.0.attn_q.weight", "18446744073709551584", "past the end");
        rejects(withU64(base, offset.offset(), base.length), "blk.0.attn_q.weight", "past the end");
        rejects(withU64(base, offset.offset(), Long.MAX_VALUE - 31), "blk.0.attn_q.weight", "past the end");
        rejects(withU64(base, offset.offset(), 0), "overlap", "token_embd.weight", "blk.0.attn_q.weight");
    }

    @Test
    void truncatedDataSection() throws IOException {
        long end = layout.dataEnd();
        String m = rejects(java.util.Arrays.copyOf(base, (int) end - 1), "blk.0.ffn_down.weight", "past the end");
        assertTrue(m.contains(String.valueOf(end - 1)), m);
        rejects(java.util.Arrays.copyOf(base, (int) layout.infosEnd - 3), "truncated", "offset");
    }

    // ---- metadata values ----

    @Test
    void valueTypes() throws IOException {
        rejects(withU32(base, field(Kind.VALUE_TYPE, "test.float64").offset(), 13), "test.float64",
                "unknown GGUF metadata value type 13");
        rejects(withU32(base, field(Kind.VALUE_TYPE, "test.float64").offset(), -1), "4294967295");
        rejects(withU32(base, field(Kind.ARRAY_TYPE, "test.array.uint8").offset(), 200), "test.array.uint8",
                "value type 200");
        rejects(withBytes(base, field(Kind.SCALAR, "test.bool.true").offset(), (byte) 2), "test.bool.true",
                "BOOL", "not 0 or 1");
        rejects(withU64(base, field(Kind.SCALAR, "test.uint64").offset(), -5), "test.uint64", "UINT64");
    }

    @Test
    void alignmentKey() throws IOException {
        Field value = field(Kind.SCALAR, "general.alignment");
        rejects(withU32(base, value.offset(), 0), "general.alignment = 0", "power of two");
        rejects(withU32(base, value.offset(), 48), "general.alignment = 48", "power of two");
        rejects(withU32(base, field(Kind.VALUE_TYPE, "general.alignment").offset(), GgufValueType.INT32.id()),
                "general.alignment must be a UINT32");
    }

    @Test
    void nestingDepthIsBounded() throws IOException {
        ByteBuffer b = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        b.putInt(GgufHeaderParser.MAGIC).putInt(3).putLong(0).putLong(1);
        b.putLong(4).put("deep".getBytes(StandardCharsets.US_ASCII)).putInt(GgufValueType.ARRAY.id());
        for (int level = 0; level < GgufHeaderParser.MAX_ARRAY_DEPTH; level++) {
            b.putInt(GgufValueType.ARRAY.id()).putLong(1);
        }
        b.putInt(GgufValueType.INT32.id()).putLong(0);
        byte[] bytes = java.util.Arrays.copyOf(b.array(), b.position());
        rejects(bytes, "deep", "nested deeper than 8");

        // One level less is fine.
        ByteBuffer ok = ByteBuffer.allocate(512).order(ByteOrder.LITTLE_ENDIAN);
        ok.putInt(GgufHeaderParser.MAGIC).putInt(3).putLong(0).putLong(1);
        ok.putLong(4).put("deep".getBytes(StandardCharsets.US_ASCII)).putInt(GgufValueType.ARRAY.id());
        for (int level = 0; level < GgufHeaderParser.MAX_ARRAY_DEPTH - 1; level++) {
            ok.putInt(GgufValueType.ARRAY.id()).putLong(1);
        }
        ok.putInt(GgufValueType.INT32.id()).putLong(0);
        Path file = dir.resolve("deep-ok.gguf");
        Files.write(file, java.util.Arrays.copyOf(ok.array(), ok.position()));
        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(GgufValueType.ARRAY, gguf.metadata().getArray("deep").elementType());
        }
    }
}
