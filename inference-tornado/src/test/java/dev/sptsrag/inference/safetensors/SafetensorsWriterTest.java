package dev.sptsrag.inference.safetensors;

import dev.sptsrag.inference.tensor.GgmlType;
import dev.sptsrag.inference.tensor.WeightTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

import static dev.sptsrag.inference.safetensors.SafetensorsTestFiles.bf16Bytes;
import static dev.sptsrag.inference.safetensors.SafetensorsTestFiles.f16Bytes;
import static dev.sptsrag.inference.safetensors.SafetensorsTestFiles.f32Bytes;
import static dev.sptsrag.inference.safetensors.SafetensorsTestFiles.floats;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsWriterTest {
    @TempDir
    Path dir;

    @Test
    void roundTripsEveryTypeScalarsAndEmptyTensors() throws IOException {
        float[] f32 = {1.5f, -2.25f, 3e-7f, Float.MAX_VALUE, -0.0f, 42f};
        float[] f16 = {0.5f, -1.0f, 65504f, 0x1p-14f};   // exact in binary16
        float[] bf16 = {1.0f, -3.5f, 0x1p100f, 0.0078125f, 2f, 7f}; // exact in bfloat16
        Path file = dir.resolve("t.safetensors");
        new SafetensorsWriter()
                .metadata("format", "pt")
                .metadata("note", "quote \" backslash \\ newline \n é")
                .add("w.f32", GgmlType.F32, new long[] {2, 3}, f32Bytes(f32))
                .add("w.f16", GgmlType.F16, new long[] {4}, f16Bytes(f16))
                .add("w.bf16", GgmlType.BF16, new long[] {3, 1, 2}, bf16Bytes(bf16))
                .add("scalar", GgmlType.F32, new long[] {}, f32Bytes(7f))
                .add("empty", GgmlType.BF16, new long[] {0}, new byte[0])
                .add("empty.2d", GgmlType.F16, new long[] {5, 0}, new byte[0])
                .add("odd \"name\"\t", GgmlType.F32, new long[] {1}, f32Bytes(1f))
                .write(file);

        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(List.of("w.f32", "w.f16", "w.bf16", "scalar", "empty", "empty.2d", "odd \"name\"\t"),
                    List.copyOf(st.tensorNames()));
            assertEquals(Map.of("format", "pt", "note", "quote \" backslash \\ newline \n é"), st.metadata());

            assertTensor(st.tensor("w.f32"), GgmlType.F32, new long[] {2, 3}, f32);
            assertTensor(st.tensor("w.f16"), GgmlType.F16, new long[] {4}, f16);
            assertTensor(st.tensor("w.bf16"), GgmlType.BF16, new long[] {3, 1, 2}, bf16);
            assertTensor(st.tensor("scalar"), GgmlType.F32, new long[] {}, new float[] {7f});
            assertEquals(0, st.tensor("scalar").rank());
            assertTensor(st.tensor("empty"), GgmlType.BF16, new long[] {0}, new float[0]);
            assertTensor(st.tensor("empty.2d"), GgmlType.F16, new long[] {5, 0}, new float[0]);
            assertTensor(st.tensor("odd \"name\"\t"), GgmlType.F32, new long[] {1}, new float[] {1f});
            assertTrue(st.tensor("w.f32").data().isReadOnly());
        }
    }

    @Test
    void headerIsPaddedWithSpacesToAnEightByteBoundary() throws IOException {
        for (int nameLength = 1; nameLength <= 9; nameLength++) {
            byte[] bytes = new SafetensorsWriter()
                    .add("x".repeat(nameLength), GgmlType.F16, new long[] {1}, f16Bytes(1f))
                    .toByteArray();
            long n = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertEquals(0, (8 + n) % 8, "data start for name length " + nameLength);
            String header = new String(bytes, 8, (int) n, StandardCharsets.UTF_8);
            assertTrue(header.startsWith("{") && header.stripTrailing().endsWith("}"), header);
            assertTrue(header.substring(header.lastIndexOf('}') + 1).chars().allMatch(c -> c == ' '), header);
            assertEquals(8 + n + 2, bytes.length);
        }
    }

    @Test
    void emptyFileRoundTrips() throws IOException {
        Path file = dir.resolve("empty.safetensors");
        new SafetensorsWriter().write(file);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertTrue(st.tensorNames().isEmpty());
            assertTrue(st.metadata().isEmpty());
        }
    }

    @Test
    void rejectsMisuse() {
        SafetensorsWriter w = new SafetensorsWriter().add("a", GgmlType.F32, new long[] {1}, f32Bytes(1f));
        assertThrows(IllegalArgumentException.class, () -> w.add("a", GgmlType.F32, new long[] {1}, f32Bytes(1f)));
        assertThrows(IllegalArgumentException.class, () -> w.add("b", GgmlType.F32, new long[] {2}, f32Bytes(1f)));
        assertThrows(IllegalArgumentException.class, () -> w.add("c", GgmlType.Q8_0, new long[] {32}, new byte[34]));
        assertThrows(IllegalArgumentException.class, () -> w.add("d", GgmlType.F32, new long[] {-1}, new byte[0]));
        assertThrows(IllegalArgumentException.class,
                () -> w.add("__metadata__", GgmlType.F32, new long[] {1}, f32Bytes(1f)));
        assertThrows(IllegalArgumentException.class, () -> w.add("\uD800", GgmlType.F32, new long[] {1}, f32Bytes(1f)));
    }

    @Test
    void writtenBytesMatchTheFileAndAreReadBackUnchanged() throws IOException {
        SafetensorsWriter w = new SafetensorsWriter().addF32("a", new long[] {2}, new float[] {1f, 2f});
        Path file = dir.resolve("a.safetensors");
        w.write(file);
        assertArrayEquals(w.toByteArray(), Files.readAllBytes(file));
    }

    private static void assertTensor(WeightTensor t, GgmlType type, long[] shape, float[] values) {
        assertEquals(type, t.type(), t.name());
        assertArrayEquals(shape, t.shape(), t.name());
        assertEquals(values.length, t.elementCount(), t.name());
        assertEquals((long) values.length * (type == GgmlType.F32 ? 4 : 2), t.data().byteSize(), t.name());
        assertArrayEquals(values, floats(t), t.name());
    }
}
