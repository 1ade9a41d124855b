package dev.sptsrag.inference.safetensors;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.tensor.GgmlType;
import dev.sptsrag.inference.tensor.WeightTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Seeded mutations of a valid file. Every mutant must either open, with every tensor view inside
 * the file, or be refused with {@link ModelFormatException} / {@link UnsupportedModelException};
 * anything else fails the test naming the seed. Mutations that are invalid by construction must
 * be refused, and flips in the tensor bytes must still open, so the test fails if the reader
 * becomes either too lax or too strict.
 */
class SafetensorsFuzzTest {
    private static final int CASES = 1200;

    /** One tensor of the base file, as header text fragments. */
    private record Spec(String name, String dtype, long[] shape, int elementBytes, long begin, long end) {
        String shapeJson() {
            return Arrays.toString(shape).replace(" ", "");
        }
    }

    private enum Mutation {
        TRUNCATE, LENGTH_FIELD, HEADER_BYTES, DATA_BYTES, FIELD_VALUE, JSON_EDIT, NON_UTF8, HEADER_START
    }

    private enum Expect { REJECT, UNSUPPORTED, OPEN, EITHER }

    private record Mutant(Mutation mutation, String what, byte[] bytes, Expect expect) {
    }

    private static final List<Spec> SPECS = List.of(
            new Spec("model.embed.weight", "F32", new long[] {4, 3}, 4, 0, 48),
            new Spec("model.norm.weight", "F16", new long[] {5}, 2, 48, 58),
            new Spec("layers.0.bias", "BF16", new long[] {2, 3}, 2, 58, 70),
            new Spec("scale", "F32", new long[] {}, 4, 70, 74),
            new Spec("empty", "F16", new long[] {0}, 2, 74, 74));
    private static final int DATA_BYTES = 74;

    @TempDir
    Path dir;

    private final byte[] data = new byte[DATA_BYTES];
    private byte[] base;
    private int headerLength;

    @Test
    void mutantsOpenOrFailWithAModelException() throws IOException {
        new Random(7).nextBytes(data);
        base = baseFile();
        headerLength = (int) ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
        Path file = dir.resolve("fuzz.safetensors");
        Files.write(file, base);
        try (SafetensorsFile st = SafetensorsFile.open(file)) {
            assertEquals(SPECS.size(), st.tensorNames().size(), "the base file must open");
        }
        Files.write(file, SafetensorsTestFiles.raw(render(-1, null, null), data));
        SafetensorsFile.open(file).close(); // the hand-rendered header is valid too

        Map<Mutation, int[]> tally = new EnumMap<>(Mutation.class); // {cases, rejected}
        List<String> failures = new ArrayList<>();
        int rejected = 0;
        for (long seed = 0; seed < CASES; seed++) {
            Mutant m = mutate(seed);
            Files.write(file, m.bytes());
            String id = "seed " + seed + " (" + m.mutation() + ": " + m.what() + ")";
            boolean refused;
            try (SafetensorsFile st = SafetensorsFile.open(file)) {
                refused = false;
                touchEveryByte(st);
                if (m.mutation() == Mutation.DATA_BYTES && st.tensorNames().size() != SPECS.size()) {
                    failures.add(id + ": lost tensors");
                }
            } catch (UnsupportedModelException e) {
                refused = true;
                if (m.expect() == Expect.OPEN) {
                    failures.add(id + ": refused: " + e.getMessage());
                }
            } catch (ModelFormatException e) {
                refused = true;
                if (m.expect() == Expect.OPEN || m.expect() == Expect.UNSUPPORTED) {
                    failures.add(id + ": wrong refusal: " + e.getMessage());
                }
            } catch (Throwable t) {
                failures.add(id + ": threw " + t);
                continue;
            }
            if (!refused && (m.expect() == Expect.REJECT || m.expect() == Expect.UNSUPPORTED)) {
                failures.add(id + ": opened but must be refused");
            }
            int[] counts = tally.computeIfAbsent(m.mutation(), k -> new int[2]);
            counts[0]++;
            if (refused) {
                counts[1]++;
                rejected++;
            }
        }
        if (!failures.isEmpty()) {
            fail(failures.size() + " of " + CASES + " mutants misbehaved, e.g.:\n"
                    + String.join("\n", failures.subList(0, Math.min(20, failures.size()))));
        }
        StringBuilder summary = new StringBuilder("safetensors fuzz: " + rejected + "/" + CASES + " refused;");
        tally.forEach((k, v) -> summary.append(' ').append(k).append('=').append(v[1]).append('/').append(v[0]));
        System.out.println(summary);
        // Most mutations break the file; if few are refused, the reader has stopped checking.
        assertTrue(rejected >= CASES * 0.7, summary.toString());
        assertEquals(0, tally.get(Mutation.DATA_BYTES)[1], "flipping tensor bytes must never be refused");
    }

    /** Reads every byte of every view: an out-of-file slice would throw or crash here. */
    private static void touchEveryByte(SafetensorsFile st) {
        long sum = 0;
        for (String name : st.tensorNames()) {
            WeightTensor t = st.tensor(name);
            long elementBytes = t.type() == GgmlType.F32 ? 4 : 2;
            assertEquals(t.elementCount() * elementBytes, t.data().byteSize(), name);
            for (long i = 0; i < t.data().byteSize(); i++) {
                sum += t.data().get(ValueLayout.JAVA_BYTE, i);
            }
        }
        assertTrue(sum != Long.MIN_VALUE);
    }

    private byte[] baseFile() {
        SafetensorsWriter w = new SafetensorsWriter().metadata("format", "pt");
        for (Spec s : SPECS) {
            GgmlType type = GgmlType.valueOf(s.dtype());
            w.add(s.name(), type, s.shape(), Arrays.copyOfRange(data, (int) s.begin(), (int) s.end()));
        }
        return w.toByteArray();
    }

    private Mutant mutate(long seed) {
        Random r = new Random(seed * 0x9E3779B97F4A7C15L + 1);
        Mutation mutation = Mutation.values()[(int) (seed % Mutation.values().length)];
        return switch (mutation) {
            case TRUNCATE -> {
                int size = r.nextInt(base.length);
                yield new Mutant(mutation, "to " + size + " bytes", Arrays.copyOf(base, size), Expect.REJECT);
            }
            case LENGTH_FIELD -> lengthField(r);
            case HEADER_BYTES -> {
                byte[] b = base.clone();
                int flips = 1 + r.nextInt(4);
                for (int i = 0; i < flips; i++) {
                    b[8 + r.nextInt(headerLength)] = (byte) r.nextInt(256);
                }
                yield new Mutant(mutation, flips + " header bytes", b, Expect.EITHER);
            }
            case DATA_BYTES -> {
                byte[] b = base.clone();
                int flips = 1 + r.nextInt(8);
                for (int i = 0; i < flips; i++) {
                    b[8 + headerLength + r.nextInt(DATA_BYTES)] ^= (byte) (1 + r.nextInt(255));
                }
                yield new Mutant(mutation, flips + " data bytes", b, Expect.OPEN);
            }
            case FIELD_VALUE -> fieldValue(r);
            case JSON_EDIT -> jsonEdit(r);
            case NON_UTF8 -> nonUtf8(r);
            case HEADER_START -> {
                String header = render(-1, null, null);
                String[] starts = {" ", "\n", "\t", "\uFEFF"};
                String mutated = r.nextBoolean() ? starts[r.nextInt(starts.length)] + header : "[" + header.substring(1);
                yield new Mutant(mutation, "header starts with " + (int) mutated.charAt(0),
                        SafetensorsTestFiles.raw(mutated, data), Expect.REJECT);
            }
        };
    }

    private Mutant lengthField(Random r) {
        long size = base.length;
        long[] candidates = {r.nextLong(), -1 - r.nextInt(1000), Long.MIN_VALUE, Long.MAX_VALUE, 100_000_001L,
                (1L << 32) + headerLength, size - 8 + 1 + r.nextInt(64), headerLength + 1 + r.nextInt(DATA_BYTES),
                headerLength - 1 - r.nextInt(headerLength), 0};
        long n = candidates[r.nextInt(candidates.length)];
        byte[] b = base.clone();
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(0, n);
        boolean impossible = n < 0 || n > SafetensorsFile.MAX_HEADER_BYTES || n > size - 8;
        return new Mutant(Mutation.LENGTH_FIELD, "N=" + n, b, impossible ? Expect.REJECT : Expect.EITHER);
    }

    /** Replaces one field with a value that is invalid by construction. */
    private Mutant fieldValue(Random r) {
        int i = r.nextInt(4); // a non-empty tensor
        Spec s = SPECS.get(i);
        long len = s.end() - s.begin();
        String[] dtypes = {"\"F33\"", "\"f32\"", "\"\"", "7", "null", "[\"F32\"]", "\"float32\"",
                s.elementBytes() == 4 ? "\"F16\"" : "\"F32\""};
        String[] shapes = {"[-1]", "[" + (s.shape().length == 0 ? 2 : s.shape()[0] * 2) + "]", "[4611686018427387904,4]",
                "[9223372036854775807,9223372036854775807]", "[3.0]", "[1e3]", "\"[3]\"", "null", "{}",
                "[18446744073709551616]", "[[4,3]]", s.shapeJson().replace("]", s.shape().length == 0 ? "2]" : ",2]")};
        String[] offsets = {
                "[" + s.begin() + "," + (s.end() + 1 + r.nextInt(100)) + "]",
                "[" + (s.end() + 1) + "," + s.end() + "]",
                "[" + (s.begin() + 1) + "," + (s.end() + 1) + "]",
                "[" + (DATA_BYTES + r.nextInt(1000)) + "," + (DATA_BYTES + r.nextInt(1000) + len + 1000) + "]",
                "[" + s.begin() + "]", "[" + s.begin() + "," + s.end() + "," + s.end() + "]",
                "[-" + len + ",0]", "null", "[\"" + s.begin() + "\",\"" + s.end() + "\"]",
                "[" + s.begin() + ".0," + s.end() + ".0]", "[0,9223372036854775807]",
                i == 0 ? "[" + DATA_BYTES + "," + (DATA_BYTES + 1) + "]" : "[" + (s.begin() - 2) + "," + (s.end() - 2) + "]"};
        String[] entries = {"[]", "\"x\"", "null", "{}", "{\"shape\":" + s.shapeJson() + ",\"data_offsets\":[" + s.begin() + "," + s.end() + "]}",
                "{\"dtype\":\"" + s.dtype() + "\",\"data_offsets\":[" + s.begin() + "," + s.end() + "]}",
                "{\"dtype\":\"" + s.dtype() + "\",\"shape\":" + s.shapeJson() + "}"};
        String[] metadata = {"{\"format\":1}", "[]", "\"pt\"", "{\"a\":null}", "{\"a\":{}}", "{\"a\":[\"b\"]}"};
        return switch (r.nextInt(7)) {
            case 0 -> field(i, "dtype", dtypes[r.nextInt(dtypes.length)], Expect.REJECT);
            case 1 -> field(i, "shape", shapes[r.nextInt(shapes.length)], Expect.REJECT);
            case 2 -> field(i, "data_offsets", offsets[r.nextInt(offsets.length)], Expect.REJECT);
            case 3 -> field(i, "entry", entries[r.nextInt(entries.length)], Expect.REJECT);
            case 4 -> field(-1, "__metadata__", metadata[r.nextInt(metadata.length)], Expect.REJECT);
            case 5 -> field(i, "duplicate", null, Expect.REJECT);
            default -> {
                // A known dtype of the same width: a sound file the engine cannot read.
                String other = switch (s.dtype()) {
                    case "F32" -> r.nextBoolean() ? "I32" : "U32";
                    default -> r.nextBoolean() ? "I16" : "U16";
                };
                yield field(i, "dtype", "\"" + other + "\"", Expect.UNSUPPORTED);
            }
        };
    }

    private Mutant field(int tensor, String field, String value, Expect expect) {
        String header = render(tensor, field, value);
        return new Mutant(Mutation.FIELD_VALUE, (tensor < 0 ? "" : SPECS.get(tensor).name() + ".") + field + "=" + value,
                SafetensorsTestFiles.raw(header, data), expect);
    }

    /** Deletes, inserts or repeats a few characters of the header text (with the length field kept right). */
    private Mutant jsonEdit(Random r) {
        String h = render(-1, null, null);
        int at = r.nextInt(h.length());
        String edited;
        String what;
        switch (r.nextInt(3)) {
            case 0 -> {
                int n = 1 + r.nextInt(Math.min(3, h.length() - at));
                edited = h.substring(0, at) + h.substring(at + n);
                what = "delete " + n + " at " + at;
            }
            case 1 -> {
                String tokens = "{}[],:\"\\0-e.1 ";
                char c = tokens.charAt(r.nextInt(tokens.length()));
                edited = h.substring(0, at) + c + h.substring(at);
                what = "insert '" + c + "' at " + at;
            }
            default -> {
                int n = 1 + r.nextInt(Math.min(12, h.length() - at));
                edited = h.substring(0, at + n) + h.substring(at, at + n) + h.substring(at + n);
                what = "repeat " + n + " at " + at;
            }
        }
        return new Mutant(Mutation.JSON_EDIT, what, SafetensorsTestFiles.raw(edited, data), Expect.EITHER);
    }

    /** Bytes that are not UTF-8, anywhere after the opening brace. */
    private Mutant nonUtf8(Random r) {
        byte[][] sequences = {{(byte) 0xFF}, {(byte) 0xFE}, {(byte) 0x80}, {(byte) 0xBF}, {(byte) 0xC0, (byte) 0x80},
                {(byte) 0xC1, (byte) 0xBF}, {(byte) 0xE2, (byte) 0x82}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}, {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80}};
        byte[] bad = sequences[r.nextInt(sequences.length)];
        byte[] h = render(-1, null, null).getBytes(StandardCharsets.UTF_8);
        int at = 1 + r.nextInt(h.length - 1);
        byte[] mutated = new byte[h.length + bad.length];
        System.arraycopy(h, 0, mutated, 0, at);
        System.arraycopy(bad, 0, mutated, at, bad.length);
        System.arraycopy(h, at, mutated, at + bad.length, h.length - at);
        return new Mutant(Mutation.NON_UTF8, HexFormat.of().formatHex(bad) + " at " + at,
                SafetensorsTestFiles.raw(mutated, data), Expect.REJECT);
    }

    /**
     * The base header, with {@code field} of tensor {@code tensor} (or the metadata, for -1)
     * replaced by the raw JSON {@code value}; "entry" replaces the whole tensor entry and
     * "duplicate" repeats it.
     */
    private static String render(int tensor, String field, String value) {
        StringBuilder h = new StringBuilder("{\"__metadata__\":");
        h.append(tensor == -1 && "__metadata__".equals(field) ? value : "{\"format\":\"pt\"}");
        for (int i = 0; i < SPECS.size(); i++) {
            Spec s = SPECS.get(i);
            boolean target = i == tensor;
            String dtype = target && "dtype".equals(field) ? value : "\"" + s.dtype() + "\"";
            String shape = target && "shape".equals(field) ? value : s.shapeJson();
            String offsets = target && "data_offsets".equals(field) ? value : "[" + s.begin() + "," + s.end() + "]";
            String entry = target && "entry".equals(field) ? value
                    : "{\"dtype\":" + dtype + ",\"shape\":" + shape + ",\"data_offsets\":" + offsets + "}";
            h.append(",\"").append(s.name()).append("\":").append(entry);
            if (target && "duplicate".equals(field)) {
                h.append(",\"").append(s.name()).append("\":").append(entry);
            }
        }
        return h.append('}').toString();
    }
}
