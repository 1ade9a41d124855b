package dev.sptsrag.inference.safetensors;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.tensor.GgmlType;
import dev.sptsrag.inference.tensor.WeightTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;

import static dev.sptsrag.inference.safetensors.SafetensorsTestFiles.f32Bytes;
import static dev.sptsrag.inference.safetensors.SafetensorsTestFiles.raw;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** What {@link SafetensorsFile#open} accepts and what it rejects, one rule at a time. */
class SafetensorsFileTest {
    @TempDir
    Path dir;

    private Path write(byte[] bytes) throws IOException {
        Path file = dir.resolve("t.safetensors");
        Files.write(file, bytes);
        return file;
    }

    private ModelFormatException rejected(String header, byte[] data) throws IOException {
        Path file = write(raw(header, data));
        return assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(file).close());
    }

    private static String entry(String name, String dtype, String shape, String offsets) {
        return "\"" + name + "\":{\"dtype\":\"" + dtype + "\",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
    }

    @Test
    void readsAHandWrittenHeaderWithGapsAndUnknownEntryKeys() throws IOException {
        // 4 bytes of gap before "b", and an unknown key: both tolerated.
        String header = "{" + entry("a", "F32", "[2]", "[0,8]") + ","
                + "\"b\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[12,16],\"future\":true}}";
        Path file = write(raw(header, f32Bytes(1f, 2f, 99f, 3f)));
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(3f, SafetensorsTestFiles.floats(st.tensor("b"))[0]);
            assertTrue(st.findTensor("c").isEmpty());
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> st.tensor("c"));
            assertTrue(e.getMessage().contains("\"c\""), e.getMessage());
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"F64", "I64", "I32", "U32", "I16", "U16", "I8", "U8", "BOOL", "F8_E4M3", "F8_E5M2",
            "F8_E8M0", "F8_E4M3FNUZ", "F8_E5M2FNUZ", "F4", "F6_E2M3", "F6_E3M2", "U64", "C64"})
    void wellFormedTensorOfAnotherDtypeIsUnsupportedNamingTensorAndDtype(String dtype) throws IOException {
        // 8 elements: a whole number of bytes for every width, 4-bit F4 included.
        long bytes = SafetensorsDtype.byName(dtype).byteSize(8, "x");
        String header = "{" + entry("model.pos_ids", dtype, "[8]", "[0," + bytes + "]") + "}";
        Path file = write(raw(header, new byte[(int) bytes]));
        UnsupportedModelException e = assertThrows(UnsupportedModelException.class, () -> SafetensorsFile.open(file));
        assertTrue(e.getMessage().contains("model.pos_ids") && e.getMessage().contains(dtype), e.getMessage());
    }

    @Test
    void corruptionWinsOverAnUnsupportedDtype() throws IOException {
        // An F64 tensor whose offsets run past the data is a broken file, not an unsupported one.
        rejected("{" + entry("a", "F64", "[2]", "[0,16]") + "}", new byte[8]);
    }

    @ParameterizedTest
    @ValueSource(strings = {"F33", "f32", "FLOAT", "", "float32", "Q4_0"})
    void unknownDtypeIsAFormatError(String dtype) throws IOException {
        ModelFormatException e = rejected("{" + entry("a", dtype, "[1]", "[0,4]") + "}", new byte[4]);
        assertTrue(e.getMessage().contains("\"a\""), e.getMessage());
    }

    @Test
    void rejectsOverlappingTensors() throws IOException {
        ModelFormatException e = rejected("{" + entry("a", "F32", "[2]", "[0,8]") + ","
                + entry("b", "F32", "[2]", "[4,12]") + "}", new byte[12]);
        assertTrue(e.getMessage().contains("overlap"), e.getMessage());
    }

    @Test
    void rejectsTwoTensorsSharingBytes() throws IOException {
        rejected("{" + entry("a", "F32", "[2]", "[0,8]") + "," + entry("b", "F32", "[2]", "[0,8]") + "}", new byte[8]);
    }

    @Test
    void emptyTensorsMayShareAnOffsetAndSitAtTheEnd() throws IOException {
        String header = "{" + entry("a", "F32", "[1]", "[0,4]") + "," + entry("e1", "F32", "[0]", "[4,4]") + ","
                + entry("e2", "BF16", "[3,0]", "[4,4]") + "," + entry("e3", "F16", "[0]", "[2,2]") + "}";
        try (SafetensorsFile st = SafetensorsFile.open(write(raw(header, new byte[4])))) {
            assertEquals(0, st.tensor("e2").data().byteSize());
            assertEquals(4, st.tensorNames().size());
        }
    }

    @Test
    void rejectsOffsetsThatDoNotMatchTheShape() throws IOException {
        ModelFormatException e = rejected("{" + entry("a", "F32", "[3]", "[0,8]") + "}", new byte[12]);
        assertTrue(e.getMessage().contains("12"), e.getMessage());
        rejected("{" + entry("a", "BF16", "[2,2]", "[0,16]") + "}", new byte[16]);
    }

    @Test
    void rejectsOffsetsPastTheEndOfTheFile() throws IOException {
        rejected("{" + entry("a", "F32", "[3]", "[0,12]") + "}", new byte[8]);
        rejected("{" + entry("a", "F32", "[1]", "[9223372036854775803,9223372036854775807]") + "}", new byte[8]);
    }

    @Test
    void rejectsMalformedOffsets() throws IOException {
        for (String offsets : new String[] {"[4,0]", "[0]", "[0,4,8]", "[-4,0]", "[0.0,4.0]", "[\"0\",\"4\"]", "{}",
                "null", "[0,1e2]", "[0,99999999999999999999]"}) {
            rejected("{" + entry("a", "F32", "[1]", offsets) + "}", new byte[4]);
        }
    }

    @Test
    void rejectsMalformedShapes() throws IOException {
        for (String shape : new String[] {"[-1]", "[1.0]", "[\"1\"]", "[[1]]", "3", "null", "[4611686018427387904,4]",
                "[4294967296,4294967296]", "[4294967296,4294967296,0]", "[18446744073709551616]"}) {
            rejected("{" + entry("a", "F32", shape, "[0,4]") + "}", new byte[4]);
        }
    }

    @Test
    void rejectsMissingOrMistypedEntryFields() throws IOException {
        rejected("{\"a\":{\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]);
        rejected("{\"a\":{\"dtype\":\"F32\",\"data_offsets\":[0,4]}}", new byte[4]);
        rejected("{\"a\":{\"dtype\":\"F32\",\"shape\":[1]}}", new byte[4]);
        rejected("{\"a\":{\"dtype\":32,\"shape\":[1],\"data_offsets\":[0,4]}}", new byte[4]);
        rejected("{\"a\":[\"F32\",[1],[0,4]]}", new byte[4]);
        rejected("{\"a\":\"F32\"}", new byte[4]);
    }

    @Test
    void metadataMustMapStringsToStrings() throws IOException {
        try (SafetensorsFile st = SafetensorsFile.open(write(raw("{\"__metadata__\":{\"format\":\"pt\",\"k\":\"v\"}}",
                new byte[0])))) {
            assertEquals("pt", st.metadata().get("format"));
            assertThrows(UnsupportedOperationException.class, () -> st.metadata().put("x", "y"));
        }
        rejected("{\"__metadata__\":{\"format\":1}}", new byte[0]);
        rejected("{\"__metadata__\":{\"format\":null}}", new byte[0]);
        rejected("{\"__metadata__\":[\"pt\"]}", new byte[0]);
        rejected("{\"__metadata__\":\"pt\"}", new byte[0]);
    }

    @Test
    void rejectsDuplicateTensorNames() throws IOException {
        rejected("{" + entry("a", "F32", "[1]", "[0,4]") + "," + entry("a", "F32", "[1]", "[4,8]") + "}", new byte[8]);
    }

    @Test
    void rejectsHeadersThatAreNotAJsonObjectStartingWithABrace() throws IOException {
        for (String header : new String[] {"", " {}", "[]", "\"x\"", "{", "{}x", "{\"a\":}", "\n{}"}) {
            rejected(header, new byte[0]);
        }
        // Trailing padding after the object is part of the format.
        SafetensorsFile.open(write(raw("{}      ", new byte[0]))).close();
    }

    @Test
    void rejectsHeadersThatAreNotUtf8() throws IOException {
        byte[][] bad = {{(byte) 0xFF}, {(byte) 0xC0, (byte) 0x80}, {(byte) 0x80}, {(byte) 0xE2, (byte) 0x82},
                {(byte) 0xED, (byte) 0xA0, (byte) 0x80}};
        for (byte[] b : bad) {
            byte[] header = concat("{\"__metadata__\":{\"k\":\"".getBytes(StandardCharsets.US_ASCII), b, "\"}}".getBytes(StandardCharsets.US_ASCII));
            Path file = write(raw(header, new byte[0]));
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(file));
            assertTrue(e.getMessage().contains("UTF-8"), e.getMessage());
        }
    }

    @Test
    void rejectsBadLengthFields() throws IOException {
        byte[] valid = new SafetensorsWriter().add("a", GgmlType.F32, new long[] {1}, f32Bytes(1f)).toByteArray();
        long fileSize = valid.length;
        for (long n : new long[] {-1, Long.MIN_VALUE, Long.MAX_VALUE, fileSize - 7, fileSize, 100_000_001L, 0, 1}) {
            byte[] bytes = valid.clone();
            ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n);
            Path file = write(bytes);
            assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(file), "length " + n);
        }
    }

    @Test
    void rejectsFilesShorterThanTheLengthField() throws IOException {
        for (int size = 0; size < 8; size++) {
            Path file = write(new byte[size]);
            assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(file), "size " + size);
        }
    }

    @Test
    void missingFileIsAFormatErrorNamingIt() {
        Path missing = dir.resolve("nope.safetensors");
        ModelFormatException e = assertThrows(ModelFormatException.class, () -> SafetensorsFile.open(missing));
        assertTrue(e.getMessage().contains("nope.safetensors"), e.getMessage());
    }

    @Test
    void closeIsIdempotentAndEndsAccess() throws IOException {
        Path file = write(new SafetensorsWriter().add("a", GgmlType.F32, new long[] {1}, f32Bytes(1f)).toByteArray());
        SafetensorsFile st = SafetensorsFile.open(file);
        WeightTensor a = st.tensor("a");
        st.close();
        st.close();
        assertThrows(IllegalStateException.class, () -> st.tensor("a"));
        assertThrows(IllegalStateException.class, () -> SafetensorsTestFiles.floats(a));
    }

    @Test
    void tensorViewsAreReadOnlyAndExactlySized() throws IOException {
        Path file = write(new SafetensorsWriter().add("a", GgmlType.F32, new long[] {2, 2}, f32Bytes(1f, 2f, 3f, 4f))
                .toByteArray());
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            WeightTensor a = st.tensor("a");
            assertEquals(16, a.data().byteSize());
            assertTrue(a.data().isReadOnly());
            // The JDK reports a write to a read-only segment as IllegalArgumentException.
            assertThrows(IllegalArgumentException.class, () -> a.data().set(ValueLayout.JAVA_BYTE, 0, (byte) 1));
            assertEquals("[1.0, 2.0, 3.0, 4.0]", Arrays.toString(SafetensorsTestFiles.floats(a)));
        }
    }

    private static byte[] concat(byte[]... parts) {
        ByteBuffer b = ByteBuffer.allocate(Arrays.stream(parts).mapToInt(p -> p.length).sum());
        for (byte[] p : parts) {
            b.put(p);
        }
        return b.array();
    }
}
