package dev.sptsrag.inference.spts.ltp;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.backend.cpu.CpuBackend;
import dev.sptsrag.inference.decoder.DeviceModel;
import dev.sptsrag.inference.model.LoadedModel;
import dev.sptsrag.inference.model.ModelConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The proxy file: round trips, model checks, and damaged or hostile files. */
class LowRankProxyFileTest {
    @TempDir
    Path dir;

    @Test
    void aCalibratedProxyRoundTripsAndScoresTheSame() throws IOException {
        try (LoadedModel m = LoadedModel.synthetic("tiny-qwen2", 2); CpuBackend backend = new CpuBackend(2)) {
            ModelConfig c = m.config();
            DeviceModel device = DeviceModel.upload(c, m.weights(), backend, null);
            List<int[]> tokens = List.of(new SplittableRandom(1).ints(64, 0, c.vocabSize()).toArray());
            LowRankProxy proxy = new ProxyCalibrator(CalibrationSettings.paperDefaults(c)).calibrate(m.weights(), device,
                    tokens, ProxyCalibrator.Listener.NONE);
            for (LowRankProxy p : List.of(proxy, proxy.withVariant(ProxyVariant.INTERMEDIATE))) {
                Path file = dir.resolve("proxy-" + p.shape().variant().label());
                LowRankProxyFile.write(file, p);
                ProxyShape s = p.shape();
                assertEquals(LowRankProxyFile.HEADER_BYTES + s.layers() * s.bytesPerLayer() + LowRankProxyFile.CHECKSUM_BYTES,
                        Files.size(file));
                assertTrue(Files.notExists(dir.resolve(file.getFileName() + ".tmp")), "no temporary file is left");
                LowRankProxy back = LowRankProxyFile.read(file, m);
                assertEquals(s, back.shape());
                assertEquals(p.rho(), back.rho());
                assertEquals(64, back.calibrationTokens());
                assertArrayEquals(p.modelIdentity(), back.modelIdentity());
                for (int l = 0; l < s.layers(); l++) {
                    LowRankProxy.Layer a = p.layer(l), b = back.layer(l);
                    assertArrayEquals(a.channels(), b.channels());
                    assertArrayEquals(a.gateProjection(), b.gateProjection());
                    assertArrayEquals(a.gateExpansion(), b.gateExpansion());
                    assertArrayEquals(a.upProjection(), b.upProjection());
                    assertArrayEquals(a.upExpansion(), b.upExpansion());
                    assertArrayEquals(a.down(), b.down());
                    float[] x = LowRankProxyTest.randomFloats(5 * c.hiddenSize(), new SplittableRandom(l));
                    assertArrayEquals(p.norms(l, x, 5, new float[5]), back.norms(l, x, 5, new float[5]));
                }
            }
        }
    }

    @Test
    void aProxyForAnotherModelIsRefusedAsSuch() throws IOException {
        try (LoadedModel mine = LoadedModel.synthetic("tiny-llama", 1);
             LoadedModel sameShape = LoadedModel.synthetic("tiny-llama", 2);
             LoadedModel otherShape = LoadedModel.synthetic("tiny-mistral", 1)) {
            ProxyShape shape = ProxyShape.of(mine.config(), 16, 8, ProxyVariant.DOWN_PROJECTED);
            Path file = dir.resolve("mine.ltp");
            LowRankProxyFile.write(file, LowRankProxyTest.randomProxy(shape, 3,
                    ModelIdentity.of(mine.config(), mine.weights())));
            LowRankProxyFile.read(file, mine);
            ModelFormatException e = assertThrows(ModelFormatException.class, () -> LowRankProxyFile.read(file, sameShape));
            assertTrue(e.getMessage().contains("made for another model") && e.getMessage().contains("spts calibrate"),
                    e.getMessage());
            e = assertThrows(ModelFormatException.class, () -> LowRankProxyFile.read(file, otherShape));
            assertTrue(e.getMessage().contains("made for another model"), e.getMessage());
            e = assertThrows(ModelFormatException.class, () -> LowRankProxyFile.read(dir.resolve("none.ltp"), mine));
            assertTrue(e.getMessage().contains("no LTP proxy file"), e.getMessage());
        }
    }

    @Test
    void theIdentitySeesWeightsAndConfigurationButNotTheName() {
        try (LoadedModel a = LoadedModel.synthetic("tiny-llama", 1); LoadedModel b = LoadedModel.synthetic("tiny-llama", 2)) {
            byte[] id = ModelIdentity.of(a.config(), a.weights());
            assertEquals(ModelIdentity.BYTES, id.length);
            assertArrayEquals(id, ModelIdentity.of(a.config().withName("renamed"), a.weights()));
            assertArrayEquals(id, ModelIdentity.of(a.config().withContextLength(512), a.weights()));
            assertTrue(!Arrays.equals(id, ModelIdentity.of(b.config(), b.weights())), "other weights");
            ModelConfig c = a.config();
            ModelConfig otherEps = new ModelConfig(c.architecture(), c.name(), c.vocabSize(), c.hiddenSize(),
                    c.intermediateSize(), c.layerCount(), c.headCount(), c.kvHeadCount(), c.headDim(), c.contextLength(),
                    1e-6f, c.ropeTheta(), c.ropeScaling(), c.ropeLayout(), c.qkvBias(), c.tiedEmbeddings(), c.slidingWindow());
            assertTrue(!Arrays.equals(id, ModelIdentity.of(otherEps, a.weights())), "other configuration");
        }
    }

    @Test
    void defaultPathSitsBesideTheModel() throws IOException {
        Path gguf = Files.createFile(dir.resolve("model.gguf"));
        assertEquals(dir.resolve("model.gguf.ltp"), LowRankProxyFile.defaultPath(gguf));
        Path folder = Files.createDirectory(dir.resolve("hf"));
        assertEquals(folder.resolve("spts-ltp.bin"), LowRankProxyFile.defaultPath(folder));
    }

    // ---- damaged and hostile files

    private enum Mutation { TRUNCATE, EXTEND, FLIP_BITS, GARBAGE_HEADER, HEADER_FIELD, CHANNEL_INDEX, NON_FINITE, FINITE_VALUE }

    private enum Expect { REJECT, OPEN, EITHER }

    /** Header fields as (offset, width); rho (72) and the token count (80) may take other valid values. */
    private static final int[][] FIELDS = {{8, 4}, {12, 4}, {16, 4}, {44, 4}, {48, 4}, {52, 4}, {56, 4}, {60, 4},
            {64, 4}, {68, 4}, {72, 4}, {76, 4}, {80, 8}};

    @Test
    void damagedOrHostileFilesFailWithAModelFormatException() throws IOException {
        try (LoadedModel m = LoadedModel.synthetic("tiny-llama", 6)) {
            ModelConfig c = m.config();
            ProxyShape shape = ProxyShape.of(c, 16, 8, ProxyVariant.DOWN_PROJECTED);
            Path basePath = dir.resolve("base.ltp");
            LowRankProxyFile.write(basePath, LowRankProxyTest.randomProxy(shape, 9, ModelIdentity.of(c, m.weights())));
            byte[] base = Files.readAllBytes(basePath);
            LowRankProxyFile.read(basePath, m); // the unmutated file opens

            SplittableRandom random = new SplittableRandom(2026);
            Path file = dir.resolve("mutant.ltp");
            int cases = 640, rejected = 0, opened = 0;
            Mutation[] kinds = Mutation.values();
            for (int i = 0; i < cases; i++) {
                Mutation kind = kinds[i % kinds.length];
                byte[] bytes = base.clone();
                Expect expect = Expect.REJECT;
                String what;
                switch (kind) {
                    case TRUNCATE -> {
                        int length = random.nextInt(base.length);
                        bytes = Arrays.copyOf(base, length);
                        what = "truncated to " + length;
                    }
                    case EXTEND -> {
                        int extra = 1 + random.nextInt(200);
                        bytes = Arrays.copyOf(base, base.length + extra);
                        for (int b = base.length; b < bytes.length; b++) {
                            bytes[b] = (byte) random.nextInt(256);
                        }
                        what = extra + " trailing bytes";
                    }
                    case FLIP_BITS -> {
                        int flips = 1 + random.nextInt(4);
                        StringBuilder at = new StringBuilder();
                        for (int f = 0; f < flips; f++) {
                            int offset = random.nextInt(bytes.length);
                            bytes[offset] ^= (byte) (1 << random.nextInt(8));
                            at.append(offset).append(' ');
                        }
                        what = "bits flipped at " + at;
                        expect = Arrays.equals(bytes, base) ? Expect.OPEN : Expect.REJECT; // two flips may cancel
                    }
                    case GARBAGE_HEADER -> {
                        for (int b = 0; b < LowRankProxyFile.HEADER_BYTES; b++) {
                            if (random.nextInt(4) == 0) {
                                bytes[b] = (byte) random.nextInt(256);
                            }
                        }
                        what = "random header bytes";
                        expect = Arrays.equals(bytes, base) ? Expect.OPEN : Expect.REJECT;
                    }
                    case HEADER_FIELD -> {
                        int[] field = FIELDS[random.nextInt(FIELDS.length)];
                        long value = interesting(random);
                        put(bytes, field[0], field[1], value);
                        reseal(bytes);
                        what = "header field at " + field[0] + " = " + value + " (checksum recomputed)";
                        boolean same = Arrays.equals(bytes, base);
                        expect = same ? Expect.OPEN : field[0] == 72 || field[0] == 80 ? Expect.EITHER : Expect.REJECT;
                    }
                    case CHANNEL_INDEX -> {
                        int layer = random.nextInt(shape.layers());
                        int index = random.nextInt(shape.channels());
                        int at = layerStart(shape, layer) + 4 * index;
                        int value = switch (random.nextInt(4)) {
                            case 0 -> -1;
                            case 1 -> shape.intermediate() + random.nextInt(3);
                            case 2 -> index == 0 ? -5 : get32(bytes, at - 4); // equal to its predecessor
                            default -> index + 1 < shape.channels() ? get32(bytes, at + 4) + 1 : shape.intermediate();
                        };
                        put(bytes, at, 4, value);
                        reseal(bytes);
                        what = "layer " + layer + " channel " + index + " = " + value + " (checksum recomputed)";
                    }
                    case NON_FINITE, FINITE_VALUE -> {
                        int layer = random.nextInt(shape.layers());
                        long floats = shape.floatsPerLayer();
                        int at = layerStart(shape, layer) + 4 * shape.channels() + 4 * random.nextInt((int) floats);
                        float value = kind == Mutation.FINITE_VALUE ? (float) random.nextDouble(-3, 3)
                                : new float[] {Float.NaN, Float.POSITIVE_INFINITY, Float.NEGATIVE_INFINITY}[random.nextInt(3)];
                        put(bytes, at, 4, Float.floatToRawIntBits(value));
                        reseal(bytes);
                        what = "float at " + at + " = " + value + " (checksum recomputed)";
                        expect = kind == Mutation.FINITE_VALUE ? Expect.OPEN : Expect.REJECT;
                    }
                    default -> throw new IllegalStateException();
                }
                Files.write(file, bytes);
                try {
                    LowRankProxyFile.read(file, m);
                    if (expect == Expect.REJECT) {
                        throw new AssertionError("case " + i + " (" + kind + ", " + what + ") opened; it must be refused");
                    }
                    opened++;
                } catch (ModelFormatException e) {
                    if (expect == Expect.OPEN) {
                        throw new AssertionError("case " + i + " (" + kind + ", " + what + ") was refused: " + e.getMessage(), e);
                    }
                    assertTrue(e.getMessage().startsWith(file.toString()), "the message names the file: " + e.getMessage());
                    rejected++;
                } catch (RuntimeException | Error e) {
                    throw new AssertionError("case " + i + " (" + kind + ", " + what + "): " + e, e);
                }
            }
            System.out.printf("proxy file fuzz: %d mutants, %d refused with ModelFormatException, %d valid ones opened%n",
                    cases, rejected, opened);
            assertTrue(rejected >= 300, rejected + " refused");
        }
    }

    private static int layerStart(ProxyShape s, int layer) {
        return (int) (LowRankProxyFile.HEADER_BYTES + layer * s.bytesPerLayer());
    }

    private static long interesting(SplittableRandom random) {
        return switch (random.nextInt(8)) {
            case 0 -> 0;
            case 1 -> -1;
            case 2 -> Integer.MAX_VALUE;
            case 3 -> Integer.MIN_VALUE;
            case 4 -> 1 + random.nextInt(4);
            case 5 -> 1L << (16 + random.nextInt(15));
            case 6 -> Long.MAX_VALUE;
            default -> random.nextInt();
        };
    }

    private static void put(byte[] bytes, int at, int width, long value) {
        ByteBuffer b = ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN);
        if (width == 8) {
            b.putLong(at, value);
        } else {
            b.putInt(at, (int) value);
        }
    }

    private static int get32(byte[] bytes, int at) {
        return ByteBuffer.wrap(bytes).order(ByteOrder.LITTLE_ENDIAN).getInt(at);
    }

    /** Recomputes the trailing checksum, so that the reader's other checks are the ones tested. */
    private static void reseal(byte[] bytes) {
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            sha.update(bytes, 0, bytes.length - LowRankProxyFile.CHECKSUM_BYTES);
            System.arraycopy(sha.digest(), 0, bytes, bytes.length - LowRankProxyFile.CHECKSUM_BYTES,
                    LowRankProxyFile.CHECKSUM_BYTES);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
