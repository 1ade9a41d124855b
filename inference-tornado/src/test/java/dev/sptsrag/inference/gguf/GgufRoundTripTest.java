package dev.sptsrag.inference.gguf;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.tensor.GgmlType;
import dev.sptsrag.inference.tensor.WeightTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class GgufRoundTripTest {
    @TempDir
    Path dir;

    @Test
    void everyMetadataTypeReadsBackIdentically() throws IOException {
        GgufWriter writer = GgufSamples.putEveryType(new GgufWriter());
        GgufMetadata written = writer.metadata();
        Path file = dir.resolve("meta.gguf");
        writer.write(file);

        try (GgufFile gguf = GgufFile.open(file)) {
            GgufMetadata read = gguf.metadata();
            assertEquals(List.copyOf(written.keys()), List.copyOf(read.keys()), "keys in file order");
            assertEquals(written.asMap(), read.asMap());
            for (String key : written.keys()) {
                assertEquals(written.type(key), read.type(key), key);
            }
            assertEquals(3, gguf.version());
            assertEquals(32, gguf.alignment());
            assertTrue(gguf.tensorInfos().isEmpty());
            assertEquals(GgufSamples.TOKENS, read.getStringList("tokenizer.ggml.tokens"));
            assertEquals(0x7FC0_1234, Float.floatToRawIntBits((Float) read.get("test.float32.nan").orElseThrow()),
                    "NaN payload kept");
            assertEquals(Long.MAX_VALUE, read.getLong("test.uint64"));
            assertEquals(0xFFFF_FFFFL, read.getLong("test.uint32"));
            assertEquals(255, read.getInt("test.uint8"));
            GgufArray nested = read.getArray("test.array.nested");
            assertEquals(GgufValueType.ARRAY, nested.elementType());
            assertEquals(List.of("a", "ß", ""), ((GgufArray) nested.values().get(1)).values());
        }
    }

    @Test
    void largeHeadersSurviveTheEncodeBufferGrowing() throws IOException {
        List<String> vocab = new ArrayList<>();
        for (int i = 0; i < 50_000; i++) {
            vocab.add(i % 5 == 0 ? "Ġtök" + i + "世界" : "t" + i);
        }
        int[] types = new int[vocab.size()];
        java.util.Arrays.fill(types, 1);
        Path file = dir.resolve("vocab.gguf");
        new GgufWriter()
                .putStringArray("tokenizer.ggml.tokens", vocab)
                .putInt32Array("tokenizer.ggml.token_type", types)
                .putString("after.the.arrays", "still here")
                .addTensor("w", GgmlType.F32, new long[] {32}, GgufSamples.floats(32, 9))
                .write(file);
        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(vocab, gguf.metadata().getStringList("tokenizer.ggml.tokens"));
            assertArrayEquals(types, gguf.metadata().getIntArray("tokenizer.ggml.token_type"));
            assertEquals("still here", gguf.metadata().getString("after.the.arrays"));
            assertArrayEquals(GgufSamples.floats(32, 9), gguf.tensor("w").data().toArray(GgufCursor.F32));
        }
    }

    @Test
    void tensorsReadBackWithReversedShapeAndIdenticalBytes() throws IOException {
        float[] embd = GgufSamples.floats(32, 11);
        MemorySegment q4k = GgufSamples.randomQ4K(3, 12);
        byte[] streamed = new byte[GgmlType.Q6_K.typeSize()];
        for (int i = 0; i < streamed.length; i++) {
            streamed[i] = (byte) (i * 7);
        }
        Path file = dir.resolve("tensors.gguf");
        new GgufWriter()
                .putString("general.architecture", "llama")
                .addTensor("a", GgmlType.F32, new long[] {4, 8}, embd)
                .addTensor("b", GgmlType.Q4_K, new long[] {3, 256}, q4k)
                .addTensor("c", GgmlType.Q6_K, new long[] {1, 1, 256}, dst -> {
                    assertEquals(streamed.length, dst.byteSize(), "window is exactly the tensor's size");
                    MemorySegment.copy(streamed, 0, dst, ValueLayout.JAVA_BYTE, 0, streamed.length);
                })
                .write(file);

        try (GgufFile gguf = GgufFile.open(file)) {
            List<GgufTensorInfo> infos = gguf.tensorInfos();
            assertEquals(List.of("a", "b", "c"), infos.stream().map(GgufTensorInfo::name).toList());
            assertArrayEquals(new long[] {8, 4}, infos.get(0).ne(), "ggml order: innermost first");
            assertArrayEquals(new long[] {4, 8}, infos.get(0).shape());
            assertArrayEquals(new long[] {256, 1, 1}, infos.get(2).ne());

            WeightTensor a = gguf.tensor("a");
            assertEquals(GgmlType.F32, a.type());
            assertArrayEquals(new long[] {4, 8}, a.shape());
            assertArrayEquals(embd, a.data().toArray(GgufCursor.F32));
            assertTrue(a.data().isReadOnly());

            WeightTensor b = gguf.tensor("b");
            assertEquals(3L * GgmlType.Q4_K.typeSize(), b.data().byteSize());
            assertEquals(-1, b.data().mismatch(q4k));

            assertArrayEquals(streamed, gguf.tensor("c").data().toArray(ValueLayout.JAVA_BYTE));
            assertTrue(gguf.findTensor("b").isPresent());
            assertFalse(gguf.findTensor("zzz").isPresent());
            ModelFormatException missing = assertThrows(ModelFormatException.class, () -> gguf.tensor("zzz"));
            assertTrue(missing.getMessage().contains("zzz"));
        }
    }

    @ParameterizedTest
    @ValueSource(longs = {1, 8, 32, 64, 4096})
    void honoursAlignment(long alignment) throws IOException {
        Path file = dir.resolve("aligned.gguf");
        GgufSamples.model(alignment).write(file);
        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(alignment, gguf.alignment());
            assertEquals(0, gguf.dataOffset() % alignment);
            assertTrue(gguf.dataOffset() >= 24);
            long previousEnd = 0;
            for (GgufTensorInfo info : gguf.tensorInfos()) {
                assertEquals(0, info.relativeOffset() % alignment, info.name());
                assertTrue(info.relativeOffset() >= previousEnd);
                previousEnd = info.relativeOffset() + info.byteSize();
                WeightTensor t = gguf.tensor(info.name());
                assertEquals(info.byteSize(), t.data().byteSize(), info.name());
            }
            assertEquals(gguf.fileSize(), gguf.dataOffset() + GgufHeaderParser.alignUp(previousEnd, alignment),
                    "file ends with the last tensor padded to the alignment");
            float[] expected = GgufSamples.floats(32, 1);
            assertArrayEquals(expected, gguf.tensor("token_embd.weight").data().toArray(GgufCursor.F32));
        }
    }

    @Test
    void rewritingReadMetadataAndTensorsGivesTheSameBytes() throws IOException {
        Path first = dir.resolve("first.gguf");
        GgufSamples.model(64).write(first);
        Path second = dir.resolve("second.gguf");
        try (GgufFile gguf = GgufFile.open(first)) {
            GgufWriter copy = new GgufWriter().putAll(gguf.metadata());
            for (GgufTensorInfo info : gguf.tensorInfos()) {
                copy.addTensor(info.name(), info.type(), info.shape(), gguf.tensor(info.name()).data());
            }
            copy.write(second);
        }
        assertArrayEquals(Files.readAllBytes(first), Files.readAllBytes(second));
    }

    @Test
    void readsVersion2WhichHasTheSameLayoutAsVersion3() throws IOException {
        Path file = dir.resolve("v2.gguf");
        GgufSamples.model(32).write(file);
        patchU32(file, 4, 2);
        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(2, gguf.version());
            assertEquals(7, gguf.tensorInfos().size());
            assertEquals("llama", gguf.metadata().getString("general.architecture"));
        }
    }

    @Test
    void rejectsVersion1BigEndianAndFutureVersions() throws IOException {
        Path file = dir.resolve("v.gguf");
        GgufSamples.model(32).write(file);

        patchU32(file, 4, 1);
        assertTrue(assertThrows(UnsupportedModelException.class, () -> GgufFile.open(file)).getMessage()
                .contains("version 1"));
        patchU32(file, 4, Integer.reverseBytes(3));
        assertTrue(assertThrows(UnsupportedModelException.class, () -> GgufFile.open(file)).getMessage()
                .contains("big-endian"));
        patchU32(file, 4, 4);
        assertThrows(UnsupportedModelException.class, () -> GgufFile.open(file));
        patchU32(file, 4, 0);
        assertThrows(ModelFormatException.class, () -> GgufFile.open(file));
        patchU32(file, 4, 3);
        patchU32(file, 0, 0x46554746);
        assertTrue(assertThrows(ModelFormatException.class, () -> GgufFile.open(file)).getMessage()
                .contains("not a GGUF file"));
    }

    @Test
    void emptyAndTinyFilesAreRejectedAsTruncated() throws IOException {
        Path file = dir.resolve("tiny.gguf");
        for (byte[] content : List.of(new byte[0], new byte[] {'G', 'G'}, new byte[] {'G', 'G', 'U', 'F', 3, 0, 0})) {
            Files.write(file, content);
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> GgufFile.open(file));
            assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        }
    }

    @Test
    void closeIsIdempotentAndInvalidatesViews() throws IOException {
        Path file = dir.resolve("close.gguf");
        GgufSamples.model(32).write(file);
        GgufFile gguf = GgufFile.open(file);
        WeightTensor t = gguf.tensor("token_embd.weight");
        gguf.close();
        gguf.close();
        assertThrows(IllegalStateException.class, () -> t.data().get(ValueLayout.JAVA_BYTE, 0));
        assertThrows(IllegalStateException.class, () -> gguf.tensor("token_embd.weight"));
    }

    @Test
    void failedTensorContentDeletesThePartialFile() {
        Path file = dir.resolve("partial.gguf");
        GgufWriter w = new GgufWriter().addTensor("x", GgmlType.F32, new long[] {8}, dst -> {
            throw new IOException("source went away");
        });
        IOException e = assertThrows(IOException.class, () -> w.write(file));
        assertEquals("source went away", e.getMessage());
        assertFalse(Files.exists(file));
    }

    @Test
    void writerRejectsWhatTheReaderWouldReject() {
        GgufWriter w = new GgufWriter();
        assertThrows(IllegalArgumentException.class, () -> w.putUint8("k", 256));
        assertThrows(IllegalArgumentException.class, () -> w.putInt8("k", 128));
        assertThrows(IllegalArgumentException.class, () -> w.putUint16("k", -1));
        assertThrows(IllegalArgumentException.class, () -> w.putUint32("k", 1L << 32));
        assertThrows(IllegalArgumentException.class, () -> w.putUint64("k", -1));
        assertThrows(IllegalArgumentException.class, () -> w.put("k", GgufValueType.UINT32, 5));
        assertThrows(IllegalArgumentException.class, () -> w.put("k", GgufValueType.FLOAT32, 1.0));
        assertThrows(IllegalArgumentException.class, () -> w.putArray("k",
                new GgufArray(GgufValueType.STRING, List.of("a", 1))));
        assertThrows(IllegalArgumentException.class, () -> w.putString("k", "bad \uD800 surrogate"));
        assertThrows(IllegalArgumentException.class, () -> w.putString("", "empty key"));
        assertThrows(IllegalArgumentException.class, () -> w.putString("x".repeat(65_536), "long key"));
        assertThrows(IllegalArgumentException.class, () -> w.alignment(3));
        assertThrows(IllegalArgumentException.class, () -> w.alignment(0));
        assertThrows(IllegalArgumentException.class, () -> w.put("general.alignment", GgufValueType.UINT64, 32L));
        GgufArray deep = new GgufArray(GgufValueType.INT32, List.of(1));
        for (int i = 0; i < GgufHeaderParser.MAX_ARRAY_DEPTH; i++) {
            deep = new GgufArray(GgufValueType.ARRAY, List.of(deep));
        }
        GgufArray tooDeep = deep;
        assertThrows(IllegalArgumentException.class, () -> w.putArray("k", tooDeep));

        float[] f = new float[64];
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.Q8_0, new long[] {64, 1}, new float[64]));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, new long[] {0, 64}, f));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, new long[] {1, 1, 1, 1, 64}, f));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, new long[] {}, f));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, new long[] {65}, f));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.Q4_K, new long[] {256}, new float[256]));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, new long[] {64},
                MemorySegment.ofArray(new byte[255])));
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32,
                new long[] {1L << 32, 1L << 32}, dst -> { }));
        w.addTensor("t", GgmlType.F32, new long[] {64}, f);
        assertThrows(IllegalArgumentException.class, () -> w.addTensor("t", GgmlType.F32, new long[] {64}, f));
    }

    @Test
    void reputtingAKeyReplacesItInPlace() throws IOException {
        Path file = dir.resolve("replace.gguf");
        new GgufWriter().putString("a", "1").putUint32("b", 2).putString("a", "3").write(file);
        try (GgufFile gguf = GgufFile.open(file)) {
            assertEquals(List.of("a", "b"), new ArrayList<>(gguf.metadata().keys()));
            assertEquals("3", gguf.metadata().getString("a"));
        }
    }

    static void patchU32(Path file, long offset, int value) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putInt((int) offset, value);
        Files.write(file, bytes);
    }
}
