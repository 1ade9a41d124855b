package dev.sptsrag.inference.gguf;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.gguf.GgufLayout.Field;
import dev.sptsrag.inference.gguf.GgufLayout.Kind;
import dev.sptsrag.inference.tensor.Dequantizer;
import dev.sptsrag.inference.tensor.GgmlType;
import dev.sptsrag.inference.tensor.WeightTensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.foreign.ValueLayout;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

/**
 * Opens well over a thousand damaged variants of a valid GGUF file. Each must either open (and then
 * every tensor must be usable: its view readable to the last byte, its first block and last row
 * dequantizable) or fail with {@link ModelFormatException} / {@link UnsupportedModelException}.
 * Anything else (an FFM bounds error, OutOfMemoryError, NegativeArraySizeException...) fails the
 * test, naming the seed and the mutation.
 *
 * <p>Mutations that make the file invalid by construction are expected to be rejected, so the test
 * also fails if validation is skipped; mutations of tensor bytes are expected to be accepted, so it
 * fails if validation over-reaches. The random part is seeded: {@code -Dgguf.fuzz.seed=N} replays.
 */
class GgufFuzzTest {
    private static final long SEED = Long.getLong("gguf.fuzz.seed", 0x6767_7566_2025L);

    @TempDir
    Path dir;

    private enum Expect { REJECT, ACCEPT, ANY }

    private record Mutant(String description, byte[] bytes, Expect expect) {
    }

    private enum Outcome { ACCEPTED, REJECTED }

    @Test
    void damagedFilesFailOnlyWithTypedExceptions() throws IOException {
        System.out.println("GgufFuzzTest seed = " + SEED + " (replay with -Dgguf.fuzz.seed=" + SEED + ")");
        Path original = dir.resolve("original.gguf");
        GgufSamples.model(32).write(original);
        byte[] base = Files.readAllBytes(original);
        GgufLayout layout = GgufLayout.of(base);
        assertEquals(Outcome.ACCEPTED, openAndTouch(original), "the unmutated file opens");

        List<Mutant> mutants = new Mutator(base, layout, new Random(SEED)).all();
        assertTrue(mutants.size() >= 1000, "only " + mutants.size() + " mutants");

        Path file = dir.resolve("mutant.gguf");
        List<String> crashes = new ArrayList<>();
        List<String> wronglyAccepted = new ArrayList<>();
        List<String> wronglyRejected = new ArrayList<>();
        Map<Expect, int[]> rejectedByExpectation = new EnumMap<>(Expect.class);
        int rejected = 0;
        for (int i = 0; i < mutants.size(); i++) {
            Mutant m = mutants.get(i);
            Files.write(file, m.bytes());
            String where = "seed " + SEED + ", mutant #" + i + " [" + m.description() + "]";
            Outcome outcome;
            try {
                outcome = openAndTouch(file);
            } catch (Throwable t) {
                StringWriter trace = new StringWriter();
                t.printStackTrace(new PrintWriter(trace));
                crashes.add(where + ": " + trace.toString().lines().limit(6).reduce((a, b) -> a + "\n  " + b).orElse(""));
                continue;
            }
            int[] counts = rejectedByExpectation.computeIfAbsent(m.expect(), k -> new int[2]);
            counts[1]++;
            if (outcome == Outcome.REJECTED) {
                rejected++;
                counts[0]++;
                if (m.expect() == Expect.ACCEPT) {
                    wronglyRejected.add(where);
                }
            } else if (m.expect() == Expect.REJECT) {
                wronglyAccepted.add(where);
            }
        }
        StringBuilder summary = new StringBuilder("GgufFuzzTest: " + mutants.size() + " mutants, " + rejected + " rejected;");
        rejectedByExpectation.forEach((e, c) -> summary.append(' ').append(e).append(' ').append(c[0]).append('/').append(c[1]));
        System.out.println(summary);

        if (!crashes.isEmpty()) {
            fail(crashes.size() + " mutants escaped with an untyped throwable:\n" + String.join("\n", crashes.subList(0, Math.min(10, crashes.size()))));
        }
        assertTrue(wronglyAccepted.isEmpty(), "invalid files accepted:\n" + String.join("\n", head(wronglyAccepted)));
        assertTrue(wronglyRejected.isEmpty(), "valid files rejected:\n" + String.join("\n", head(wronglyRejected)));
        // Most mutations break the file; a reader that validated nothing would accept them.
        assertTrue(rejected >= mutants.size() * 0.8, summary.toString());
    }

    private static List<String> head(List<String> list) {
        return list.subList(0, Math.min(10, list.size()));
    }

    /** Opens the file and uses everything in it as the engine would. */
    private static Outcome openAndTouch(Path file) throws IOException {
        try (GgufFile gguf = GgufFile.open(file)) {
            for (String key : gguf.metadata().keys()) {
                gguf.metadata().get(key).orElseThrow();
            }
            for (GgufTensorInfo info : gguf.tensorInfos()) {
                WeightTensor t = gguf.tensor(info.name());
                if (t.data().byteSize() != info.byteSize()) {
                    throw new AssertionError(info + ": view of " + t.data().byteSize() + " bytes");
                }
                t.data().get(ValueLayout.JAVA_BYTE, t.data().byteSize() - 1);
                if (info.type().isDequantizable()) {
                    int block = info.type().blockSize();
                    Dequantizer.dequantize(info.type(), t.data(), 0, new float[block], 0, block);
                    long cols = t.dim(t.rank() - 1);
                    Dequantizer.dequantizeRow(t, t.elementCount() / cols - 1, new float[(int) cols], 0);
                }
            }
            return Outcome.ACCEPTED;
        } catch (ModelFormatException | UnsupportedModelException e) {
            return Outcome.REJECTED;
        }
    }

    /** Builds the mutants: targeted damage to every field kind, then random damage. */
    private static final class Mutator {
        private static final long[] COUNT_VALUES = {0, 1, 1L << 31, (1L << 32) - 1, 1L << 32, 1L << 40, 1L << 62,
                Long.MAX_VALUE, Long.MIN_VALUE, -1};
        private static final int[] BAD_GGML_TYPES = {4, 5, 9, 15, 16, 23, 29, 31, 36, 39, 40, 63, 64, 99, 255,
                Integer.MIN_VALUE, -1};
        private static final int[] BAD_VALUE_TYPES = {13, 14, 99, 255, 1 << 16, Integer.MIN_VALUE, -1};

        private final byte[] base;
        private final GgufLayout layout;
        private final Random random;
        private final List<Mutant> out = new ArrayList<>();

        Mutator(byte[] base, GgufLayout layout, Random random) {
            this.base = base;
            this.layout = layout;
            this.random = random;
        }

        List<Mutant> all() {
            truncations();
            counts();
            dimensions();
            offsets();
            tensorTypes();
            valueTypes();
            strings();
            versionAndMagic();
            scalars();
            randomHeaderDamage();
            tensorDataDamage();
            return out;
        }

        private void add(String description, byte[] bytes, Expect expect) {
            out.add(new Mutant(description, bytes, expect));
        }

        private byte[] withU32(long at, long v) {
            byte[] b = base.clone();
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putInt((int) at, (int) v);
            return b;
        }

        private byte[] withU64(long at, long v) {
            byte[] b = base.clone();
            ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong((int) at, v);
            return b;
        }

        private long u64(long at) {
            return ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN).getLong((int) at);
        }

        private int u32(long at) {
            return ByteBuffer.wrap(base).order(ByteOrder.LITTLE_ENDIAN).getInt((int) at);
        }

        /** Every field start and middle, every tensor's data, and random points. */
        private void truncations() {
            long dataEnd = layout.dataEnd();
            for (Field f : layout.fields) {
                add("truncate at start of " + f, Arrays.copyOf(base, (int) f.offset()), Expect.REJECT);
                if (f.size() > 1) {
                    add("truncate inside " + f, Arrays.copyOf(base, (int) f.offset() + f.size() / 2), Expect.REJECT);
                }
            }
            add("truncate at data start", Arrays.copyOf(base, (int) layout.dataStart), Expect.REJECT);
            for (GgufLayout.DataRange r : layout.data) {
                add("truncate inside data of " + r.name(), Arrays.copyOf(base, (int) (r.start() + r.size() - 1)), Expect.REJECT);
            }
            for (int i = 0; i < 250; i++) {
                int length = random.nextInt(base.length);
                add("truncate to " + length + " bytes", Arrays.copyOf(base, length),
                        length < dataEnd ? Expect.REJECT : Expect.ANY);
            }
        }

        /** Counts and lengths: off by one, zero, and values no file this size can hold. */
        private void counts() {
            for (Field f : layout.fields) {
                switch (f.kind()) {
                    case TENSOR_COUNT, KV_COUNT, ARRAY_LENGTH, STRING_LENGTH, KEY_LENGTH, NAME_LENGTH -> {
                        long original = u64(f.offset());
                        for (long v : COUNT_VALUES) {
                            add(f + " := " + Long.toUnsignedString(v), withU64(f.offset(), v),
                                    Long.compareUnsigned(v, base.length) > 0 ? Expect.REJECT : Expect.ANY);
                        }
                        add(f + " - 1", withU64(f.offset(), original - 1), Expect.ANY);
                        add(f + " + 1", withU64(f.offset(), original + 1), Expect.ANY);
                        add(f + " + 7", withU64(f.offset(), original + 7), Expect.ANY);
                        long r = random.nextLong();
                        add(f + " := random " + Long.toUnsignedString(r), withU64(f.offset(), r),
                                Long.compareUnsigned(r, base.length) > 0 ? Expect.REJECT : Expect.ANY);
                    }
                    case N_DIMS -> {
                        int original = u32(f.offset());
                        for (long v : new long[] {0, 5, 8, 0xFFFF_FFFFL, 1L << 31}) {
                            add(f + " := " + v, withU32(f.offset(), v), Expect.REJECT);
                        }
                        add(f + " - 1", withU32(f.offset(), original - 1), Expect.ANY);
                        add(f + " + 1", withU32(f.offset(), original + 1), Expect.ANY);
                    }
                    default -> {
                    }
                }
            }
        }

        /** Dimensions: zero, huge, top bit set, and pairs whose product overflows. */
        private void dimensions() {
            for (Field f : layout.fields(Kind.NE)) {
                long original = u64(f.offset());
                for (long v : new long[] {0, 1L << 32, 1L << 40, 1L << 62, Long.MAX_VALUE, Long.MIN_VALUE, -1}) {
                    add(f + " := " + Long.toUnsignedString(v), withU64(f.offset(), v), Expect.REJECT);
                }
                add(f + " * 2", withU64(f.offset(), original * 2), Expect.ANY);
                add(f + " := random", withU64(f.offset(), random.nextLong()), Expect.ANY);
            }
            List<Field> ne = layout.fields(Kind.NE);
            for (int i = 0; i + 1 < ne.size(); i++) {
                Field a = ne.get(i);
                Field b = ne.get(i + 1);
                if (!a.label().equals(b.label())) {
                    continue;
                }
                byte[] m = withU64(a.offset(), 1L << 32);
                ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putLong((int) b.offset(), 1L << 32);
                add(a.label() + " ne pair 2^32 x 2^32 (2^64 elements)", m, Expect.REJECT);
                m = withU64(a.offset(), 1L << 62);
                ByteBuffer.wrap(m).order(ByteOrder.LITTLE_ENDIAN).putLong((int) b.offset(), 4);
                add(a.label() + " ne pair 2^62 x 4 (overflow)", m, Expect.REJECT);
            }
        }

        /** Offsets: unaligned, past the end, negative, and onto another tensor. */
        private void offsets() {
            List<Field> fields = layout.fields(Kind.TENSOR_OFFSET);
            for (int i = 0; i < fields.size(); i++) {
                Field f = fields.get(i);
                long original = u64(f.offset());
                long pastEnd = (base.length + 31) / 32 * 32;
                long[][] cases = {{original + 1, 1}, {original + 16, 1}, {pastEnd, 1}, {Long.MAX_VALUE - 31, 1},
                        {-1, 1}, {-32, 1}, {original + 32 * (1 + random.nextInt(4)), 0}};
                for (long[] c : cases) {
                    add(f + " := " + Long.toUnsignedString(c[0]), withU64(f.offset(), c[0]),
                            c[1] == 1 ? Expect.REJECT : Expect.ANY);
                }
                if (i > 0) {
                    long other = u64(fields.get(random.nextInt(i)).offset());
                    add(f + " := offset of an earlier tensor (" + other + ")", withU64(f.offset(), other), Expect.REJECT);
                }
            }
        }

        private void tensorTypes() {
            for (Field f : layout.fields(Kind.TENSOR_TYPE)) {
                for (int id : BAD_GGML_TYPES) {
                    add(f + " := ggml type " + Integer.toUnsignedString(id), withU32(f.offset(), id), Expect.REJECT);
                }
                for (GgmlType t : GgmlType.values()) {
                    add(f + " := " + t, withU32(f.offset(), t.id()), Expect.ANY);
                }
            }
        }

        private void valueTypes() {
            for (Field f : layout.fields) {
                if (f.kind() != Kind.VALUE_TYPE && f.kind() != Kind.ARRAY_TYPE) {
                    continue;
                }
                for (int id : BAD_VALUE_TYPES) {
                    add(f + " := value type " + Integer.toUnsignedString(id), withU32(f.offset(), id), Expect.REJECT);
                }
                for (int k = 0; k < 2; k++) {
                    int id = random.nextInt(GgufValueType.values().length);
                    add(f + " := value type " + id, withU32(f.offset(), id), Expect.ANY);
                }
            }
        }

        /** Invalid UTF-8 in keys, names and values: bad lead bytes, overlong forms, surrogates, cut sequences. */
        private void strings() {
            byte[][] bad = {{(byte) 0xFF}, {(byte) 0x80}, {(byte) 0xC0, (byte) 0x80}, {(byte) 0xED, (byte) 0xA0, (byte) 0x80},
                    {(byte) 0xF8, (byte) 0x88, (byte) 0x80, (byte) 0x80}, {(byte) 0xF4, (byte) 0x90, (byte) 0x80, (byte) 0x80}};
            for (Field f : layout.fields) {
                if (f.kind() != Kind.STRING_BYTES && f.kind() != Kind.KEY_BYTES && f.kind() != Kind.NAME_BYTES) {
                    continue;
                }
                for (byte[] b : bad) {
                    if (b.length <= f.size()) {
                        byte[] m = base.clone();
                        System.arraycopy(b, 0, m, (int) f.offset(), b.length);
                        add(f + " starts with invalid UTF-8 " + hex(b), m, Expect.REJECT);
                    }
                }
                byte[] m = base.clone();
                m[(int) (f.offset() + f.size() - 1)] = (byte) 0xE2;
                add(f + " ends inside a multi-byte sequence", m, Expect.REJECT);
            }
        }

        private void versionAndMagic() {
            for (long v : new long[] {0, 1, 4, 0x0200_0000, 0x0300_0000, 0xFFFF, 0xFFFF_FFFFL}) {
                add("version := " + v, withU32(4, v), Expect.REJECT);
            }
            for (int i = 0; i < 4; i++) {
                byte[] m = base.clone();
                m[i] ^= 0x20;
                add("magic byte " + i + " flipped", m, Expect.REJECT);
            }
        }

        private void scalars() {
            for (Field f : layout.fields(Kind.SCALAR)) {
                if (f.valueType() == GgufValueType.BOOL) {
                    for (int v : new int[] {2, 0x80, 0xFF}) {
                        byte[] m = base.clone();
                        m[(int) f.offset()] = (byte) v;
                        add(f + " := " + v, m, Expect.REJECT);
                    }
                } else if (f.valueType() == GgufValueType.UINT64) {
                    add(f + " := 2^63", withU64(f.offset(), Long.MIN_VALUE), Expect.REJECT);
                    add(f + " := 2^64-1", withU64(f.offset(), -1), Expect.REJECT);
                }
                if (f.label().equals(GgufHeaderParser.ALIGNMENT_KEY)) {
                    for (long v : new long[] {0, 3, 48, 96, (1L << 31) + 1, 0xFFFF_FFFFL}) {
                        add("general.alignment := " + v, withU32(f.offset(), v), Expect.REJECT);
                    }
                    for (long v : new long[] {1, 2, 4, 8, 16, 64, 1L << 31}) {
                        add("general.alignment := " + v, withU32(f.offset(), v), Expect.ANY);
                    }
                }
            }
        }

        /** Random overwrites, insertions and deletions before the data section. */
        private void randomHeaderDamage() {
            int header = (int) layout.dataStart;
            for (int i = 0; i < 300; i++) {
                byte[] m = base.clone();
                StringBuilder what = new StringBuilder("random bytes");
                for (int k = 1 + random.nextInt(4); k > 0; k--) {
                    int at = random.nextInt(header);
                    m[at] = (byte) random.nextInt(256);
                    what.append(' ').append(at).append('=').append(m[at] & 0xFF);
                }
                add(what.toString(), m, Expect.ANY);
            }
            for (int i = 0; i < 60; i++) {
                int at = random.nextInt(header);
                byte[] m;
                if (i % 2 == 0) {
                    m = new byte[base.length + 1];
                    System.arraycopy(base, 0, m, 0, at);
                    m[at] = (byte) random.nextInt(256);
                    System.arraycopy(base, at, m, at + 1, base.length - at);
                    add("insert a byte at " + at, m, Expect.ANY);
                } else {
                    m = new byte[base.length - 1];
                    System.arraycopy(base, 0, m, 0, at);
                    System.arraycopy(base, at + 1, m, at, base.length - at - 1);
                    add("delete the byte at " + at, m, Expect.ANY);
                }
            }
        }

        /** Tensor bytes are not validated (any bit pattern is some value): damage there must be accepted. */
        private void tensorDataDamage() {
            for (int i = 0; i < 40; i++) {
                GgufLayout.DataRange r = layout.data.get(random.nextInt(layout.data.size()));
                byte[] m = base.clone();
                int at = (int) (r.start() + random.nextInt((int) r.size()));
                m[at] = (byte) random.nextInt(256);
                add("tensor byte " + at + " of " + r.name() + " := " + (m[at] & 0xFF), m, Expect.ACCEPT);
            }
        }

        private static String hex(byte[] b) {
            StringBuilder sb = new StringBuilder();
            for (byte x : b) {
                sb.append(String.format("%02X", x & 0xFF));
            }
            return sb.toString();
        }
    }
}
