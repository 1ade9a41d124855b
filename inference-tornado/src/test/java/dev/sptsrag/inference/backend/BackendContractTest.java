package dev.sptsrag.inference.backend;

import dev.sptsrag.inference.model.RopeLayout;
import dev.sptsrag.inference.tensor.Dequantizer;
import dev.sptsrag.inference.tensor.GgmlType;
import dev.sptsrag.inference.tensor.Quantizer;
import dev.sptsrag.inference.tensor.WeightTensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.EnumSource;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * What every backend's ops must compute, checked against float64 loops written here on random inputs.
 * Shapes are chosen to hit every edge of a tiled kernel: one row, rows that are not a multiple of the
 * tile, widths shorter than a vector and widths with a remainder. A backend's test subclasses this and
 * says how it is created and how close to float64 it must come.
 */
public abstract class BackendContractTest {
    private Backend backend;
    private Arena arena;

    /** A fresh backend; closed after each test. */
    protected abstract Backend createBackend();

    /** Families of ops by the precision a backend may compute them in. */
    protected enum Precision {
        /** Float32 arithmetic on float32 data: norms, residual adds, SwiGLU, bias. */
        FLOAT32,
        /** Weights as the backend stores them, or GEMM/attention operands rounded (e.g. BF16 on a GPU). */
        STORED_OPERANDS
    }

    /** Allowed |got - expected| relative to the largest |expected| of the op's output. */
    protected double relativeTolerance(Precision precision) {
        return 2e-6;
    }

    @BeforeEach
    void open() {
        arena = Arena.ofShared(); // backends may read weights from worker threads
        backend = createBackend();
    }

    @AfterEach
    void close() {
        if (backend != null) { // null when the backend was unavailable and the test aborted
            backend.close();
        }
        arena.close();
    }

    // ---- matmul ------------------------------------------------------------------------------

    @ParameterizedTest(name = "rows {0}, in {1}, out {2}")
    @CsvSource({"1,5,1", "1,64,33", "3,37,6", "4,16,4", "5,100,9", "9,64,17", "16,128,64", "7,257,3"})
    void matmulMatchesFloat64(int rows, int in, int out) {
        SplittableRandom rnd = new SplittableRandom(rows * 1000L + in * 10L + out);
        float[] w = random(rnd, out * in, 1f);
        float[] x = random(rnd, rows * in, 2f);
        Activations xa = activations("x", rows, in, x);
        Activations ya = backend.allocateActivations("y", rows, out);
        backend.matmul(xa, rows, backend.uploadMatrix(matrix("w", GgmlType.F32, out, in, w)), ya);
        assertClose(matmulReference(x, rows, in, w, out), read(ya, rows), Precision.STORED_OPERANDS);
    }

    @ParameterizedTest
    @EnumSource(value = GgmlType.class, names = {"F16", "BF16", "Q8_0", "Q4_0"})
    void matmulOfStoredTypesUsesTheDequantizedWeights(GgmlType type) {
        int rows = 6, in = 96, out = 10;
        SplittableRandom rnd = new SplittableRandom(type.ordinal());
        float[] w = random(rnd, out * in, 1f);
        WeightTensor stored = matrix("w", type, out, in, w);
        float[] exact = new float[out * in];
        for (int o = 0; o < out; o++) {
            Dequantizer.dequantizeRow(stored, o, exact, o * in);
        }
        float[] x = random(rnd, rows * in, 1f);
        Activations ya = backend.allocateActivations("y", rows, out);
        backend.matmul(activations("x", rows, in, x), rows, backend.uploadMatrix(stored), ya);
        assertClose(matmulReference(x, rows, in, exact, out), read(ya, rows), Precision.STORED_OPERANDS);
    }

    @Test
    void matmulOnFewerRowsThanAllocatedLeavesTheRestAlone() {
        int in = 32, out = 8;
        float[] x = random(new SplittableRandom(3), 4 * in, 1f);
        float[] w = random(new SplittableRandom(4), out * in, 1f);
        Activations ya = activations("y", 4, out, filled(4 * out, 7f));
        backend.matmul(activations("x", 4, in, x), 2, backend.uploadMatrix(matrix("w", GgmlType.F32, out, in, w)), ya);
        float[] y = read(ya, 4);
        double[] expected = matmulReference(x, 2, in, w, out);
        assertClose(expected, Arrays.copyOf(y, 2 * out), Precision.STORED_OPERANDS);
        for (int i = 2 * out; i < 4 * out; i++) {
            assertEquals(7f, y[i], "row beyond the count was written");
        }
    }

    // ---- row ops -----------------------------------------------------------------------------

    @ParameterizedTest(name = "rows {0}, cols {1}")
    @CsvSource({"1,8", "3,37", "5,64", "2,1000"})
    void rmsNormMatchesFloat64(int rows, int cols) {
        SplittableRandom rnd = new SplittableRandom(cols);
        float[] x = random(rnd, rows * cols, 3f);
        float[] g = random(rnd, cols, 1f);
        float eps = 1e-5f;
        Activations xa = activations("x", rows, cols, x);
        Activations out = backend.allocateActivations("o", rows, cols);
        backend.rmsNorm(xa, rows, backend.uploadVector("g", g), eps, out);
        double[] expected = new double[rows * cols];
        for (int r = 0; r < rows; r++) {
            double ss = 0;
            for (int c = 0; c < cols; c++) {
                ss += (double) x[r * cols + c] * x[r * cols + c];
            }
            double inv = 1 / Math.sqrt(ss / cols + eps);
            for (int c = 0; c < cols; c++) {
                expected[r * cols + c] = x[r * cols + c] * inv * g[c];
            }
        }
        assertClose(expected, read(out, rows));
        // In place gives the same.
        backend.rmsNorm(xa, rows, backend.uploadVector("g", g), eps, xa);
        assertClose(expected, read(xa, rows));
    }

    @ParameterizedTest(name = "rows {0} of {1}, heads {2} of width {3}")
    @CsvSource({"1,1,1,8", "3,4,4,36", "5,5,8,64", "2,6,32,128", "4,4,2,256", "1,3,3,1000"})
    void headRmsNormNormalisesEachHeadWithTheSharedWeight(int rows, int allocated, int heads, int width) {
        SplittableRandom rnd = new SplittableRandom(heads * 1000L + width);
        int cols = heads * width;
        float[] x = random(rnd, allocated * cols, 3f);
        for (int i = 0; i < width; i++) {
            x[i] *= 100; // heads of very different scales: each must get its own RMS
        }
        float[] g = random(rnd, width, 1f);
        float eps = 1e-6f;
        Activations xa = activations("x", allocated, cols, x);
        backend.headRmsNorm(xa, rows, heads, backend.uploadVector("g", g), eps);
        double[] expected = new double[allocated * cols];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = x[i]; // rows past `rows` stay as they were
        }
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < heads; h++) {
                int base = r * cols + h * width;
                double ss = 0;
                for (int c = 0; c < width; c++) {
                    ss += (double) x[base + c] * x[base + c];
                }
                double inv = 1 / Math.sqrt(ss / width + eps);
                for (int c = 0; c < width; c++) {
                    expected[base + c] = x[base + c] * inv * g[c];
                }
            }
        }
        float[] got = read(xa, allocated);
        // Relative to each head's own scale: one loud head must not hide an error in a quiet one.
        for (int r = 0; r < allocated; r++) {
            for (int h = 0; h < heads; h++) {
                int base = r * cols + h * width;
                assertClose(Arrays.copyOfRange(expected, base, base + width), Arrays.copyOfRange(got, base, base + width));
            }
        }
    }

    @Test
    void headRmsNormRefusesHeadsThatDoNotFitTheRow() {
        Activations xa = backend.allocateActivations("x", 2, 12);
        DeviceVector four = backend.uploadVector("g4", filled(4, 1f));
        assertThrows(IllegalArgumentException.class, () -> backend.headRmsNorm(xa, 2, 5, four, 1e-6f));
        assertThrows(IllegalArgumentException.class, () -> backend.headRmsNorm(xa, 2, 2, four, 1e-6f));
        assertThrows(IllegalArgumentException.class, () -> backend.headRmsNorm(xa, 3, 3, four, 1e-6f));
        backend.headRmsNorm(xa, 2, 3, four, 1e-6f); // 3 heads of 4: fits
    }

    @Test
    void addBiasSwigluAddAndCopyRows() {
        int rows = 3, cols = 37;
        SplittableRandom rnd = new SplittableRandom(11);
        float[] a = random(rnd, rows * cols, 4f);
        float[] b = random(rnd, rows * cols, 4f);
        float[] bias = random(rnd, cols, 1f);

        Activations x = activations("x", rows, cols, a);
        backend.addBias(x, rows, backend.uploadVector("bias", bias));
        double[] expected = new double[rows * cols];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (double) a[i] + bias[i % cols];
        }
        assertClose(expected, read(x, rows));

        Activations gate = activations("gate", rows, cols, a);
        Activations up = activations("up", rows, cols, b);
        Activations out = backend.allocateActivations("out", rows, cols);
        backend.swiglu(gate, up, rows, out);
        for (int i = 0; i < expected.length; i++) {
            expected[i] = a[i] / (1 + Math.exp(-a[i])) * b[i];
        }
        assertClose(expected, read(out, rows));

        Activations acc = activations("acc", rows, cols, a);
        backend.add(acc, activations("b", rows, cols, b), rows);
        for (int i = 0; i < expected.length; i++) {
            expected[i] = (double) a[i] + b[i];
        }
        assertClose(expected, read(acc, rows));

        Activations dst = activations("dst", 5, cols, filled(5 * cols, 0f));
        backend.copyRows(activations("src", rows, cols, a), 1, dst, 3, 2);
        float[] d = read(dst, 5);
        for (int c = 0; c < cols; c++) {
            assertEquals(0f, d[c]);
            assertEquals(a[cols + c], d[3 * cols + c]);
            assertEquals(a[2 * cols + c], d[4 * cols + c]);
        }
    }

    @Test
    void embedGathersRowsAndRejectsIdsOutsideTheVocabulary() {
        int vocab = 20, dim = 24;
        float[] table = random(new SplittableRandom(5), vocab * dim, 1f);
        DeviceMatrix t = backend.uploadMatrix(matrix("emb", GgmlType.F32, vocab, dim, table));
        Activations out = backend.allocateActivations("e", 3, dim);
        backend.embed(t, new int[] {19, 0, 7}, 3, out);
        int[] ids = {19, 0, 7};
        double[] expected = new double[3 * dim];
        for (int r = 0; r < 3; r++) {
            for (int c = 0; c < dim; c++) {
                expected[r * dim + c] = table[ids[r] * dim + c];
            }
        }
        assertClose(expected, read(out, 3), Precision.STORED_OPERANDS);
        assertThrows(IllegalArgumentException.class, () -> backend.embed(t, new int[] {20}, 1, out));
        assertThrows(IllegalArgumentException.class, () -> backend.embed(t, new int[] {-1}, 1, out));
    }

    @ParameterizedTest
    @EnumSource(RopeLayout.class)
    void ropeRotatesEachPairByPositionTimesFrequency(RopeLayout layout) {
        int heads = 3, headDim = 16, rows = 4;
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = (float) Math.pow(10000, -2.0 * i / headDim);
        }
        RotaryEmbedding rotary = new RotaryEmbedding(headDim, layout, inv);
        float[] x = random(new SplittableRandom(9), rows * heads * headDim, 1f);
        int[] positions = {0, 5, 131, 4097};
        Activations xa = activations("q", rows, heads * headDim, x);
        backend.rope(xa, rows, heads, backend.createRotaryTable(rotary), positions("positions", positions));
        double[] expected = new double[x.length];
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < heads; h++) {
                int base = r * heads * headDim + h * headDim;
                for (int i = 0; i < headDim / 2; i++) {
                    double angle = positions[r] * (double) inv[i];
                    double a = x[base + rotary.first(i)], b = x[base + rotary.second(i)];
                    expected[base + rotary.first(i)] = a * Math.cos(angle) - b * Math.sin(angle);
                    expected[base + rotary.second(i)] = a * Math.sin(angle) + b * Math.cos(angle);
                }
            }
        }
        // float32 angles at position 4097 carry ~4e-4 rad of rounding; the tolerance is that of the angle.
        assertClose(expected, read(xa, rows), 1e-3);
    }

    // ---- attention ---------------------------------------------------------------------------

    @ParameterizedTest(name = "heads {0}/{1}, dim {2}, window {3}, {4} queries over {5} slots")
    @CsvSource({"4,2,16,0,4,9", "6,1,8,0,3,9", "2,2,64,0,4,9", "4,2,16,3,4,9", "8,2,128,0,1,700",
            "8,2,128,0,70,200", "4,4,64,0,130,130", "4,2,64,50,90,300", "6,2,16,0,40,77", "4,1,128,0,200,333",
            "6,2,64,0,1,300", "6,2,64,0,5,50"})
    void attentionIsCausalByPositionWithGroupedHeads(int heads, int kvHeads, int headDim, int window, int rows,
                                                     int slots) {
        int kvDim = kvHeads * headDim, capacity = slots + 3;
        SplittableRandom rnd = new SplittableRandom(heads * 31L + headDim + window + rows * 7L + slots);
        AttentionShape shape = new AttentionShape(heads, kvHeads, headDim, (float) (1 / Math.sqrt(headDim)), window);
        PagedTestCache cache = new PagedTestCache(backend, 2, capacity, kvDim, 16, slots);

        // Slots hold positions with gaps (skipped tokens) and partly out of order (swapped neighbours).
        int[] slotPos = new int[slots];
        int p = 0;
        for (int s = 0; s < slots; s++) {
            p += 1 + (rnd.nextInt(5) == 0 ? 1 : 0);
            slotPos[s] = p;
        }
        for (int s = 0; s + 1 < slots; s += 3) {
            int t = slotPos[s];
            slotPos[s] = slotPos[s + 1];
            slotPos[s + 1] = t;
        }
        int maxPos = p;
        float[] k = random(rnd, slots * kvDim, 1f);
        float[] v = random(rnd, slots * kvDim, 1f);
        // Two steps, to check that the second appends; sequence 0 holds other keys at the same positions.
        int first = slots / 2;
        cache.store(activations("k", first, kvDim, Arrays.copyOf(k, first * kvDim)),
                activations("v", first, kvDim, Arrays.copyOf(v, first * kvDim)), first,
                positions("slots", Arrays.copyOf(slotPos, first)), 1);
        int rest = slots - first;
        cache.store(activations("k2", rest, kvDim, Arrays.copyOfRange(k, first * kvDim, slots * kvDim)),
                activations("v2", rest, kvDim, Arrays.copyOfRange(v, first * kvDim, slots * kvDim)), rest,
                positions("slots2", Arrays.copyOfRange(slotPos, first, slots)), 1);
        cache.store(activations("k0", slots, kvDim, random(rnd, slots * kvDim, 1f)),
                activations("v0", slots, kvDim, random(rnd, slots * kvDim, 1f)), slots, positions("slots0", slotPos), 0);

        // Queries at increasing positions from before the first slot to the last; the first query sees nothing.
        int[] queryPos = new int[rows];
        for (int r = 0; r < rows; r++) {
            queryPos[r] = rows == 1 ? maxPos : (int) ((long) r * maxPos / (rows - 1));
        }
        float[] q = random(rnd, rows * heads * headDim, 1f);
        Activations out = backend.allocateActivations("att", rows, heads * headDim);
        cache.attend(activations("q", rows, heads * headDim, q), rows, positions("queries", queryPos), 1, shape, out);

        double[] expected = new double[rows * heads * headDim];
        double[] score = new double[slots];
        for (int r = 0; r < rows; r++) {
            for (int h = 0; h < heads; h++) {
                int kvh = h / (heads / kvHeads);
                double max = Double.NEGATIVE_INFINITY;
                for (int s = 0; s < slots; s++) {
                    boolean visible = slotPos[s] <= queryPos[r] && (window == 0 || queryPos[r] - slotPos[s] < window);
                    if (!visible) {
                        score[s] = Double.NEGATIVE_INFINITY;
                        continue;
                    }
                    double dot = 0;
                    for (int d = 0; d < headDim; d++) {
                        dot += (double) q[r * heads * headDim + h * headDim + d] * k[s * kvDim + kvh * headDim + d];
                    }
                    score[s] = dot * shape.scale();
                    max = Math.max(max, score[s]);
                }
                if (max == Double.NEGATIVE_INFINITY) {
                    continue; // sees no slot: zeros
                }
                double sum = 0;
                for (int s = 0; s < slots; s++) {
                    score[s] = Math.exp(score[s] - max);
                    sum += score[s];
                }
                for (int d = 0; d < headDim; d++) {
                    double acc = 0;
                    for (int s = 0; s < slots; s++) {
                        acc += score[s] / sum * v[s * kvDim + kvh * headDim + d];
                    }
                    expected[r * heads * headDim + h * headDim + d] = acc;
                }
            }
        }
        assertClose(expected, read(out, rows), Precision.STORED_OPERANDS);
    }

    /**
     * One step of several sequences of a paged cache — the next token of two decoding sequences and a chunk of
     * a third's prompt — stores each row in its own sequence and gives each row the attention it gets in a step
     * of its sequence alone (a decode row's own sequence only, a chunk row causally over its sequence).
     */
    @ParameterizedTest(name = "heads {0}/{1}, dim {2}, block {3}")
    @CsvSource({"4,2,16,2", "8,2,64,16", "4,4,128,16", "6,2,64,4"})
    void aStepOfSeveralSequencesGivesEachRowWhatItGetsAlone(int heads, int kvHeads, int headDim, int blockSize) {
        int kvDim = kvHeads * headDim, cols = heads * headDim;
        SplittableRandom rnd = new SplittableRandom(heads * 131L + headDim + blockSize);
        AttentionShape shape = new AttentionShape(heads, kvHeads, headDim, (float) (1 / Math.sqrt(headDim)), 0);
        int[] held = {37, 5, 20}; // what each sequence holds before the step
        int[] sequences = {2, 0, 1};
        int[] lengths = {1, 6, 1}; // sequence 0 prefills a chunk between two decoding sequences
        PagedTestCache together = new PagedTestCache(backend, 3, 64, kvDim, blockSize, 11);
        PagedTestCache alone = new PagedTestCache(backend, 3, 64, kvDim, blockSize, 12);
        for (int sq = 0; sq < 3; sq++) {
            float[] k = random(rnd, held[sq] * kvDim, 1f), v = random(rnd, held[sq] * kvDim, 1f);
            int[] pos = new int[held[sq]];
            Arrays.setAll(pos, i -> i);
            for (PagedTestCache c : new PagedTestCache[] {together, alone}) {
                c.store(activations("k", held[sq], kvDim, k), activations("v", held[sq], kvDim, v), held[sq],
                        positions("held", pos), sq);
            }
        }
        int rows = 8;
        float[] q = random(rnd, rows * cols, 1f), k = random(rnd, rows * kvDim, 1f), v = random(rnd, rows * kvDim, 1f);
        int[] stepPos = new int[rows];
        for (int i = 0, row = 0; i < sequences.length; i++) {
            for (int j = 0; j < lengths[i]; j++, row++) {
                stepPos[row] = held[sequences[i]] + j;
            }
        }
        Activations out = backend.allocateActivations("together", rows, cols);
        together.storeAndAttend(activations("q", rows, cols, q), activations("k", rows, kvDim, k),
                activations("v", rows, kvDim, v), positions("step", stepPos), sequences, lengths, shape, out);
        float[] got = read(out, rows);

        double[] expected = new double[rows * cols];
        for (int i = 0, row = 0; i < sequences.length; row += lengths[i], i++) {
            int n = lengths[i];
            Activations o = backend.allocateActivations("alone", n, cols);
            alone.storeAndAttend(activations("q", n, cols, Arrays.copyOfRange(q, row * cols, (row + n) * cols)),
                    activations("k", n, kvDim, Arrays.copyOfRange(k, row * kvDim, (row + n) * kvDim)),
                    activations("v", n, kvDim, Arrays.copyOfRange(v, row * kvDim, (row + n) * kvDim)),
                    positions("alone", Arrays.copyOfRange(stepPos, row, row + n)), new int[] {sequences[i]},
                    new int[] {n}, shape, o);
            float[] r = read(o, n);
            for (int j = 0; j < r.length; j++) {
                expected[row * cols + j] = r[j];
            }
        }
        assertClose(expected, got, Precision.STORED_OPERANDS);
        for (int j = 0; j < cols; j++) {
            assertTrue(got[j] != 0f || got[cols + j] != 0f, "rows see their sequences");
        }
    }

    /**
     * A step writes its positions once and every op reads that handle: rope of q and k, the KV store,
     * attention and the probe give what they give with a freshly written handle each; the handle keeps a
     * copy (a later change to the host array is not seen), and rewriting it changes what later ops see.
     */
    @Test
    void positionsWrittenOnceServeEveryOpOfAStepUntilRewritten() {
        int heads = 4, kvHeads = 2, headDim = 16, rows = 3, kvDim = kvHeads * headDim;
        float[] inv = new float[headDim / 2];
        for (int i = 0; i < inv.length; i++) {
            inv[i] = (float) Math.pow(10000, -2.0 * i / headDim);
        }
        RotaryTable table = backend.createRotaryTable(new RotaryEmbedding(headDim, RopeLayout.SPLIT_HALF, inv));
        AttentionShape shape = new AttentionShape(heads, kvHeads, headDim, (float) (1 / Math.sqrt(headDim)), 0);
        SplittableRandom rnd = new SplittableRandom(17);
        float[] q = random(rnd, rows * heads * headDim, 1f);
        float[] k = random(rnd, rows * kvDim, 1f);
        float[] v = random(rnd, rows * kvDim, 1f);
        int[] host = {3, 10, 17};
        int[] written = host.clone();

        DevicePositions step = backend.allocatePositions("step", 4);
        assertEquals(0, step.count());
        assertEquals(4, step.capacity());
        backend.writePositions(host, rows, step);
        assertEquals(rows, step.count());
        Arrays.fill(host, 0); // the handle holds a copy
        float[] once = runStep(table, shape, q, k, v, rows, () -> step);
        float[] each = runStep(table, shape, q, k, v, rows, () -> positions("op", written));
        assertTrue(Arrays.equals(each, once), "one handle for the step, or one per op");
        assertTrue(once[0] != 0f, "the first query sees its own slot");

        // A cache whose slots sit at 3, 10, 17; the step's handle rewritten to other positions.
        PagedTestCache cache = new PagedTestCache(backend, 1, rows, kvDim, 2, 7);
        cache.store(activations("k", rows, kvDim, k), activations("v", rows, kvDim, v), rows, positions("slots", written),
                0);
        backend.writePositions(new int[] {0, 0, 0}, rows, step);
        Activations xa = activations("x", rows, heads * headDim, q);
        backend.rope(xa, rows, heads, table, step);
        Activations ya = activations("y", rows, heads * headDim, q);
        backend.rope(ya, rows, heads, table, positions("zeros", new int[rows]));
        assertTrue(Arrays.equals(read(ya, rows), read(xa, rows)), "the rewritten positions");
        double[] unrotated = new double[q.length];
        for (int i = 0; i < q.length; i++) {
            unrotated[i] = q[i];
        }
        assertClose(unrotated, read(xa, rows), 1e-6); // at position 0 RoPE is the identity
        Activations out = backend.allocateActivations("out", rows, heads * headDim);
        cache.attend(xa, rows, step, 0, shape, out);
        assertTrue(Arrays.equals(new float[rows * heads * headDim], read(out, rows)), "queries before every slot");
        backend.writePositions(new int[] {17, 17, 17}, rows, step);
        cache.attend(xa, rows, step, 0, shape, out);
        float[] sees = read(out, rows);
        for (int r = 0; r < rows; r++) {
            assertTrue(sees[r * heads * headDim] != 0f, "row " + r + " sees every slot now");
        }

        backend.writePositions(written, 2, step);
        assertEquals(2, step.count());
        assertThrows(IllegalArgumentException.class, () -> backend.rope(xa, rows, heads, table, step),
                "three rows, two positions written");
        assertThrows(IllegalArgumentException.class, () -> backend.writePositions(new int[5], 5, step),
                "more than its capacity");
    }

    /** rope(q), rope(k), storeKv, attention and the probe of the last query, each op's positions from {@code p}. */
    private float[] runStep(RotaryTable table, AttentionShape shape, float[] q, float[] k, float[] v, int rows,
                            java.util.function.Supplier<DevicePositions> p) {
        int cols = shape.headCount() * shape.headDim();
        int kvDim = shape.kvHeadCount() * shape.headDim();
        Activations qa = activations("q", rows, cols, q);
        Activations ka = activations("k", rows, kvDim, k);
        Activations va = activations("v", rows, kvDim, v);
        PagedTestCache cache = new PagedTestCache(backend, 1, rows, kvDim, 2, 7);
        backend.rope(qa, rows, shape.headCount(), table, p.get());
        backend.rope(ka, rows, shape.kvHeadCount(), table, p.get());
        Activations out = backend.allocateActivations("out", rows, cols);
        cache.storeAndAttend(qa, ka, va, p.get(), new int[] {0}, new int[] {rows}, shape, out);
        float[] scores = new float[rows];
        backend.probeScores(qa, rows - 1, 17, ka, rows, p.get(), shape, scores);
        float[] result = Arrays.copyOf(read(out, rows), rows * cols + rows);
        System.arraycopy(scores, 0, result, rows * cols, rows);
        return result;
    }

    // ---- sampling support --------------------------------------------------------------------

    @Test
    void argmaxAndTopKFindTheLargestWithTiesToTheSmallerIndex() {
        int n = 50_000;
        float[] row = random(new SplittableRandom(21), 2 * n, 10f);
        row[n + 123] = 99f;    // the maximum of row 1, planted twice: the first wins
        row[n + 40_000] = 99f;
        Activations a = activations("logits", 2, n, row);
        assertEquals(n + 123 - n, backend.argmax(a, 1));
        int best0 = 0;
        for (int i = 1; i < n; i++) {
            if (row[i] > row[best0]) {
                best0 = i;
            }
        }
        assertEquals(best0, backend.argmax(a, 0));

        int k = 40;
        int[] ids = new int[k];
        float[] values = new float[k];
        backend.topK(a, 1, k, ids, values);
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        float[] r1 = Arrays.copyOfRange(row, n, 2 * n);
        Arrays.sort(order, (x, y) -> {
            int c = Float.compare(r1[y], r1[x]);
            return c != 0 ? c : Integer.compare(x, y);
        });
        for (int i = 0; i < k; i++) {
            assertEquals(order[i], ids[i], "rank " + i);
            assertEquals(r1[order[i]], values[i], "rank " + i);
        }
        assertEquals(123, ids[0]);
        assertEquals(40_000, ids[1]);
    }

    /** One NaN or infinity anywhere in a row (broken weights) makes argmax -1 and top-k's first id -1. */
    @ParameterizedTest
    @CsvSource({"NaN, 0", "NaN, 31337", "NaN, 49999", "Infinity, 7", "-Infinity, 40000"})
    void argmaxAndTopKFlagANonFiniteValue(float bad, int at) {
        int n = 50_000;
        float[] row = random(new SplittableRandom(22), 2 * n, 10f);
        row[n + at] = bad;
        Activations a = activations("logits", 2, n, row);
        assertEquals(-1, backend.argmax(a, 1), bad + " at " + at);
        assertTrue(backend.argmax(a, 0) >= 0, "the finite row beside it is unaffected");
        int k = 40;
        int[] ids = new int[k];
        float[] values = new float[k];
        backend.topK(a, 1, k, ids, values);
        assertEquals(-1, ids[0], bad + " at " + at);
        backend.topK(a, 0, k, ids, values);
        assertTrue(ids[0] >= 0);
    }

    // ---- token subsets (SPTS) -----------------------------------------------------------------

    @Test
    void gatherScatterAndRowNorms() {
        int rows = 9, cols = 37;
        float[] a = random(new SplittableRandom(31), rows * cols, 2f);
        float[] b = random(new SplittableRandom(32), rows * cols, 2f);
        Activations src = activations("src", rows, cols, a);
        Activations dst = backend.allocateActivations("dst", rows, cols);
        int[] pick = {8, 0, 3, 5};
        backend.gatherRows(src, pick, pick.length, dst);
        float[] g = read(dst, pick.length);
        for (int i = 0; i < pick.length; i++) {
            for (int c = 0; c < cols; c++) {
                assertEquals(a[pick[i] * cols + c], g[i * cols + c]);
            }
        }
        Activations acc = activations("acc", rows, cols, b);
        backend.scatterAddRows(dst, pick, pick.length, acc);
        double[] expected = new double[rows * cols];
        for (int i = 0; i < expected.length; i++) {
            expected[i] = b[i];
        }
        for (int i = 0; i < pick.length; i++) {
            for (int c = 0; c < cols; c++) {
                expected[pick[i] * cols + c] += a[pick[i] * cols + c];
            }
        }
        assertClose(expected, read(acc, rows));

        float[] norms = new float[rows];
        backend.rowNorms(src, rows, norms);
        double[] refNorms = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < cols; c++) {
                s += (double) a[r * cols + c] * a[r * cols + c];
            }
            refNorms[r] = Math.sqrt(s);
        }
        assertClose(refNorms, norms);
        assertThrows(IndexOutOfBoundsException.class, () -> backend.gatherRows(src, new int[] {rows}, 1, dst));
    }

    // ---- LTP on the device -------------------------------------------------------------------

    @Test
    void gatherRmsNormIsGatherThenRmsNorm() {
        int rows = 11, cols = 1000;
        SplittableRandom rnd = new SplittableRandom(41);
        float[] a = random(rnd, rows * cols, 3f);
        float[] g = random(rnd, cols, 1f);
        DeviceVector weight = backend.uploadVector("g", g);
        Activations src = activations("src", rows, cols, a);
        Activations fused = backend.allocateActivations("fused", rows, cols);
        Activations twoOps = backend.allocateActivations("two ops", rows, cols);
        int[] pick = {10, 0, 3, 3 + 4, 9, 1};
        backend.gatherRmsNorm(src, pick, pick.length, weight, 1e-5f, fused);
        backend.gatherRows(src, pick, pick.length, twoOps);
        backend.rmsNorm(twoOps, pick.length, weight, 1e-5f, twoOps);
        // Same arithmetic per row as the two ops: the same floats, on every backend.
        assertTrue(Arrays.equals(read(twoOps, pick.length), read(fused, pick.length)), "fused gather + RMSNorm differs");
        assertThrows(IndexOutOfBoundsException.class,
                () -> backend.gatherRmsNorm(src, new int[] {rows}, 1, weight, 1e-5f, fused));
    }

    @Test
    void swigluHalvesAndScaledRowNorms() {
        int rows = 7, half = 45;
        SplittableRandom rnd = new SplittableRandom(43);
        float[] a = random(rnd, rows * 2 * half, 4f);
        Activations in = activations("gate|up", rows, 2 * half, a);
        Activations out = backend.allocateActivations("act", rows, half);
        backend.swigluHalves(in, rows, out);
        double[] expected = new double[rows * half];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < half; c++) {
                double gate = a[r * 2 * half + c];
                expected[r * half + c] = gate / (1 + Math.exp(-gate)) * a[r * 2 * half + half + c];
            }
        }
        float[] act = read(out, rows);
        assertClose(expected, act);

        float[] factors = random(rnd, rows, 1f);
        factors[2] = 0f;
        Activations scores = backend.allocateActivations("scores", rows + 3, 1);
        backend.rowNorms(out, rows, factors, scores);
        float[] plain = new float[rows];
        backend.rowNorms(out, rows, plain);
        float[] got = read(scores, rows);
        double[] ref = new double[rows];
        for (int r = 0; r < rows; r++) {
            double s = 0;
            for (int c = 0; c < half; c++) {
                s += (double) act[r * half + c] * act[r * half + c];
            }
            ref[r] = Math.sqrt(s) * factors[r];
            // The product of the host-side norm and the factor, as the host would have formed it.
            assertEquals(plain[r] * factors[r], got[r], "row " + r);
        }
        assertClose(ref, got);
        backend.rowNorms(out, rows, null, scores);
        assertTrue(Arrays.equals(plain, read(scores, rows)), "norms without factors");
        assertThrows(IllegalArgumentException.class, () -> backend.rowNorms(out, rows, factors, out));
    }

    /** The backend chooses exactly the rows TopSelector chooses: forced rows, ties, NaN, several block sweeps. */
    @Test
    void selectRowsChoosesLikeTheTopSelector() {
        SplittableRandom rnd = new SplittableRandom(47);
        int capacity = 5000;
        Activations scores = backend.allocateActivations("scores", capacity, 1);
        TopSelector selector = new TopSelector(capacity);
        int[] expected = new int[capacity];
        int[] got = new int[capacity];
        for (int trial = 0; trial < 60; trial++) {
            int n = trial == 0 ? 1 : 1 + rnd.nextInt(capacity);
            float[] s = new float[capacity];
            for (int i = 0; i < n; i++) {
                s[i] = switch (rnd.nextInt(30)) {
                    case 0 -> Float.NaN;
                    case 1 -> -0.0f;
                    case 2 -> Float.POSITIVE_INFINITY;
                    default -> trial % 3 == 0 ? rnd.nextInt(4) : (float) rnd.nextGaussian() * 1e-3f;
                };
            }
            backend.writeRows(s, capacity, scores, 0);
            int sinks = rnd.nextInt(3), recent = rnd.nextInt(5);
            int budget = 1 + rnd.nextInt(n + 2);
            int e = selector.select(s, n, budget, sinks, recent, expected);
            int g = backend.selectRows(scores, n, budget, sinks, recent, got);
            assertEquals(e, g, "trial " + trial);
            assertTrue(Arrays.equals(expected, 0, e, got, 0, g), "trial " + trial + ": n " + n + ", budget " + budget);
        }
    }

    @ParameterizedTest(name = "heads {0}/{1}, dim {2}, window {3}, {4} keys")
    @CsvSource({"4,2,16,0,50", "8,2,128,0,3000", "6,2,64,40,300", "4,4,32,0,1"})
    void probeScoresAreTheHeadAveragedSoftmaxOfTheLastQuery(int heads, int kvHeads, int headDim, int window, int n) {
        SplittableRandom rnd = new SplittableRandom(heads + headDim + n);
        AttentionShape shape = new AttentionShape(heads, kvHeads, headDim, (float) (1 / Math.sqrt(headDim)), window);
        float[] q = random(rnd, 2 * heads * headDim, 1f);
        float[] k = random(rnd, n * kvHeads * headDim, 1f);
        int[] keyPos = new int[n];
        for (int i = 0; i < n; i++) {
            keyPos[i] = 2 * i; // gaps, as after removals
        }
        int queryPos = keyPos[n - 1];
        float[] scores = new float[n];
        backend.probeScores(activations("q", 2, heads * headDim, q), 1, queryPos,
                activations("k", n, kvHeads * headDim, k), n, positions("keys", keyPos), shape, scores);
        double[] expected = new double[n];
        for (int h = 0; h < heads; h++) {
            int kvh = h / (heads / kvHeads);
            double[] l = new double[n];
            double max = Double.NEGATIVE_INFINITY;
            for (int i = 0; i < n; i++) {
                int dist = queryPos - keyPos[i];
                if (window > 0 && dist >= window) {
                    l[i] = Double.NEGATIVE_INFINITY;
                    continue;
                }
                double dot = 0;
                for (int d = 0; d < headDim; d++) {
                    dot += (double) q[heads * headDim + h * headDim + d] * k[i * kvHeads * headDim + kvh * headDim + d];
                }
                l[i] = dot * shape.scale();
                max = Math.max(max, l[i]);
            }
            double sum = 0;
            for (double v : l) {
                sum += Math.exp(v - max);
            }
            for (int i = 0; i < n; i++) {
                expected[i] += Math.exp(l[i] - max) / sum / heads;
            }
        }
        assertClose(expected, scores);
    }

    // ---- transfers ---------------------------------------------------------------------------

    @Test
    void writeThenReadRowsRoundTrips() {
        float[] data = random(new SplittableRandom(2), 6 * 10, 1f);
        Activations a = backend.allocateActivations("a", 8, 10);
        backend.writeRows(data, 6, a, 2);
        float[] back = new float[6 * 10];
        backend.readRows(a, 2, 6, back);
        assertTrue(Arrays.equals(data, back));
    }

    // ---- helpers -----------------------------------------------------------------------------

    private Activations activations(String name, int rows, int cols, float[] data) {
        Activations a = backend.allocateActivations(name, rows, cols);
        backend.writeRows(data, rows, a, 0);
        return a;
    }

    /** A positions handle holding exactly {@code values}. */
    private DevicePositions positions(String name, int[] values) {
        DevicePositions p = backend.allocatePositions(name, values.length);
        backend.writePositions(values, values.length, p);
        return p;
    }

    private float[] read(Activations a, int rows) {
        float[] out = new float[rows * a.cols()];
        backend.readRows(a, 0, rows, out);
        return out;
    }

    private WeightTensor matrix(String name, GgmlType type, int rows, int cols, float[] values) {
        MemorySegment seg = arena.allocate(type.byteSize((long) rows * cols), 64);
        Quantizer.quantize(type, values, 0, seg, 0, rows * cols);
        return new WeightTensor(name, type, new long[] {rows, cols}, seg);
    }

    private static double[] matmulReference(float[] x, int rows, int in, float[] w, int out) {
        double[] y = new double[rows * out];
        for (int r = 0; r < rows; r++) {
            for (int o = 0; o < out; o++) {
                double s = 0;
                for (int i = 0; i < in; i++) {
                    s += (double) x[r * in + i] * w[o * in + i];
                }
                y[r * out + o] = s;
            }
        }
        return y;
    }

    private static float[] random(SplittableRandom rnd, int n, float scale) {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = (float) ((rnd.nextDouble() * 2 - 1) * scale);
        }
        return a;
    }

    private static float[] filled(int n, float value) {
        float[] a = new float[n];
        Arrays.fill(a, value);
        return a;
    }

    private void assertClose(double[] expected, float[] got) {
        assertClose(expected, got, relativeTolerance(Precision.FLOAT32));
    }

    private void assertClose(double[] expected, float[] got, Precision precision) {
        assertClose(expected, got, relativeTolerance(precision));
    }

    private static void assertClose(double[] expected, float[] got, double relative) {
        assertEquals(expected.length, got.length, "length");
        double maxRef = 0, maxDiff = 0;
        int worst = -1;
        for (int i = 0; i < expected.length; i++) {
            maxRef = Math.max(maxRef, Math.abs(expected[i]));
            double d = Float.isNaN(got[i]) ? Double.POSITIVE_INFINITY : Math.abs(expected[i] - got[i]);
            if (!(d <= maxDiff)) {
                maxDiff = d;
                worst = i;
            }
        }
        assertTrue(maxDiff <= relative * Math.max(maxRef, 1e-30),
                "max |diff| " + maxDiff + " at " + worst + " (expected " + (worst < 0 ? 0 : expected[worst]) + ", got "
                        + (worst < 0 ? 0 : got[worst]) + "), max |ref| " + maxRef + ", allowed relative " + relative);
    }
}
