package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.backend.Activations;
import dev.sptsrag.inference.backend.AttentionShape;
import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.DeviceInts;
import dev.sptsrag.inference.backend.DevicePositions;
import dev.sptsrag.inference.backend.KvPages;
import dev.sptsrag.inference.backend.cpu.CpuBackend;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.util.Arrays;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Paged attention on the GPU against the CPU backend, on one step that mixes decode rows of several sequences
 * with prefill chunks of others, each over its own history in shuffled blocks: the decode rows go to one
 * flash-decoding launch (which must leave the chunks' rows alone), each chunk to a launch of its own. Heads of
 * width 128 and 64 take the flash prefill kernels, 80 the generic one, 100 the generic one and the scalar decode
 * path. A row's result must not depend on the rows it shares the call with: a chunk alone is bit for bit what it
 * is in the step; a decode row alone is split differently, so it agrees to float32 rounding.
 */
class CudaPagedAttentionTest {
    private static final int LAYERS = 2;
    private static final int LAYER = 1;
    private static final int HEADS = 8;
    private static final int KV_HEADS = 2;
    /** Sequence i holds HISTORY[i] slots before the step and has RUN[i] rows in it, sequence after sequence. */
    private static final int[] HISTORY = {300, 40, 0, 1200, 7, 0};
    private static final int[] RUN = {1, 100, 1, 3, 1, 20};
    private static final int DECODE_SEQUENCE = 3;
    private static final int CHUNK_SEQUENCE = 1;

    @ParameterizedTest(name = "head width {0}, blocks of {1}, window {2}")
    @CsvSource({"128,16,0", "64,4,0", "128,64,50", "80,16,0", "100,2,0", "64,1,0"})
    void mixedStepMatchesTheCpuAndEachRowIsItsOwn(int headDim, int blockSize, int window) {
        Step step = new Step(headDim, blockSize, new SplittableRandom(headDim * 31L + blockSize + window));
        AttentionShape shape = new AttentionShape(HEADS, KV_HEADS, headDim, (float) (1 / Math.sqrt(headDim)), window);
        float[] cpu;
        try (CpuBackend backend = new CpuBackend(2)) {
            cpu = step.run(backend, shape).all;
        }
        try (CudaBackend backend = CudaTesting.open()) {
            Result gpu = step.run(backend, shape);
            double scale = 0, worst = 0;
            for (int i = 0; i < cpu.length; i++) {
                scale = Math.max(scale, Math.abs(cpu[i]));
                worst = Math.max(worst, Math.abs(cpu[i] - gpu.all[i]));
            }
            assertTrue(worst <= 2e-2 * scale, "GPU vs CPU: max |Δ| " + worst + " of " + scale);

            int width = HEADS * headDim;
            int chunk = step.firstRow(CHUNK_SEQUENCE);
            assertArrayEquals(Arrays.copyOfRange(gpu.all, chunk * width, (chunk + RUN[CHUNK_SEQUENCE]) * width),
                    gpu.chunkAlone, "a prefill chunk alone and in the step");
            int row = step.firstRow(DECODE_SEQUENCE);
            float[] inStep = Arrays.copyOfRange(gpu.all, row * width, (row + RUN[DECODE_SEQUENCE]) * width);
            double rowScale = 0, rowWorst = 0;
            for (int i = 0; i < inStep.length; i++) {
                rowScale = Math.max(rowScale, Math.abs(inStep[i]));
                rowWorst = Math.max(rowWorst, Math.abs(inStep[i] - gpu.decodeAlone[i]));
            }
            assertTrue(rowWorst <= 1e-5 * rowScale, "decode rows alone and in the step: max |Δ| " + rowWorst);
        }
    }

    private record Result(float[] all, float[] chunkAlone, float[] decodeAlone) {
    }

    /** The inputs of the step, the same for every backend. */
    private static final class Step {
        final int headDim;
        final int blockSize;
        final int kvDim;
        final int sequences = HISTORY.length;
        final int maxBlocks;
        final int blocks;
        final int[] tables;
        final float[][] historyK = new float[sequences][];
        final float[][] historyV = new float[sequences][];
        final int rows;
        final float[] q;
        final float[] k;
        final float[] v;

        Step(int headDim, int blockSize, SplittableRandom rnd) {
            this.headDim = headDim;
            this.blockSize = blockSize;
            this.kvDim = KV_HEADS * headDim;
            int longest = 0, used = 0;
            for (int s = 0; s < sequences; s++) {
                int b = (HISTORY[s] + RUN[s] + blockSize - 1) / blockSize;
                longest = Math.max(longest, b);
                used += b;
                historyK[s] = random(rnd, HISTORY[s] * kvDim);
                historyV[s] = random(rnd, HISTORY[s] * kvDim);
            }
            this.maxBlocks = longest + 1;
            this.blocks = used + 3;
            // The layer's blocks in a shuffled order of the pool; the other layer's entries stay 0.
            int[] order = new int[blocks];
            for (int i = 0; i < blocks; i++) {
                order[i] = i;
            }
            for (int i = blocks - 1; i > 0; i--) {
                int j = rnd.nextInt(i + 1);
                int t = order[i];
                order[i] = order[j];
                order[j] = t;
            }
            this.tables = new int[sequences * maxBlocks * LAYERS];
            int next = 0;
            for (int s = 0; s < sequences; s++) {
                for (int b = 0; b < (HISTORY[s] + RUN[s] + blockSize - 1) / blockSize; b++) {
                    tables[(s * maxBlocks + b) * LAYERS + LAYER] = order[next++];
                }
            }
            this.rows = Arrays.stream(RUN).sum();
            this.q = random(rnd, rows * HEADS * headDim);
            this.k = random(rnd, rows * kvDim);
            this.v = random(rnd, rows * kvDim);
        }

        int firstRow(int sequence) {
            int r = 0;
            for (int s = 0; s < sequence; s++) {
                r += RUN[s];
            }
            return r;
        }

        Result run(Backend backend, AttentionShape shape) {
            DeviceInts tableInts = backend.allocateInts("tables", tables.length);
            backend.writeInts(tables, 0, tables.length, tableInts, 0);
            DeviceInts filled = backend.allocateInts("filled", sequences * LAYERS);
            KvPages cache = new KvPages(backend.allocateKvBlockPool(blocks, blockSize, kvDim), tableInts, filled, LAYERS,
                    maxBlocks);
            // The histories, one storeKv of every sequence's runs, at positions 0, 1, ...
            int historyRows = Arrays.stream(HISTORY).sum();
            float[] hk = new float[historyRows * kvDim], hv = new float[historyRows * kvDim];
            int[] historyPositions = new int[historyRows];
            int[] historyMap = new int[KvPages.ROW_ENTRIES * historyRows];
            for (int s = 0, r = 0; s < sequences; s++) {
                System.arraycopy(historyK[s], 0, hk, r * kvDim, HISTORY[s] * kvDim);
                System.arraycopy(historyV[s], 0, hv, r * kvDim, HISTORY[s] * kvDim);
                for (int i = 0; i < HISTORY[s]; i++, r++) {
                    historyPositions[r] = i;
                    row(historyMap, r, s, i, HISTORY[s]);
                }
            }
            backend.storeKv(activations(backend, "hk", historyRows, kvDim, hk),
                    activations(backend, "hv", historyRows, kvDim, hv), historyRows,
                    positions(backend, historyPositions), ints(backend, historyMap), cache, LAYER);
            int[] counts = new int[sequences * LAYERS];
            for (int s = 0; s < sequences; s++) {
                counts[s * LAYERS + LAYER] = HISTORY[s];
            }
            backend.writeInts(counts, 0, counts.length, filled, 0);

            // The step: every row at its sequence's next position.
            int[] positions = new int[rows];
            int[] map = new int[KvPages.ROW_ENTRIES * rows];
            for (int s = 0, r = 0; s < sequences; s++) {
                for (int i = 0; i < RUN[s]; i++, r++) {
                    positions[r] = HISTORY[s] + i;
                    row(map, r, s, i, RUN[s]);
                }
            }
            DevicePositions stepPositions = positions(backend, positions);
            DeviceInts kvRows = ints(backend, map);
            int width = HEADS * headDim;
            backend.storeKv(activations(backend, "k", rows, kvDim, k), activations(backend, "v", rows, kvDim, v), rows,
                    stepPositions, kvRows, cache, LAYER);
            Activations out = backend.allocateActivations("out", rows, width);
            backend.attention(activations(backend, "q", rows, width, q), rows, stepPositions, kvRows, cache, LAYER,
                    shape, out);
            float[] all = new float[rows * width];
            backend.readRows(out, 0, rows, all);
            return new Result(all, alone(backend, cache, shape, CHUNK_SEQUENCE, positions, map),
                    alone(backend, cache, shape, DECODE_SEQUENCE, positions, map));
        }

        /** The attention of one sequence's rows of the step, in a call of their own. */
        private float[] alone(Backend backend, KvPages cache, AttentionShape shape, int sequence, int[] positions,
                              int[] map) {
            int first = firstRow(sequence), n = RUN[sequence], width = HEADS * headDim;
            Activations out = backend.allocateActivations("alone", n, width);
            backend.attention(activations(backend, "q alone", n, width,
                            Arrays.copyOfRange(q, first * width, (first + n) * width)), n,
                    positions(backend, Arrays.copyOfRange(positions, first, first + n)),
                    ints(backend, Arrays.copyOfRange(map, KvPages.ROW_ENTRIES * first, KvPages.ROW_ENTRIES * (first + n))),
                    cache, LAYER, shape, out);
            float[] got = new float[n * width];
            backend.readRows(out, 0, n, got);
            return got;
        }
    }

    private static void row(int[] map, int r, int sequence, int rank, int count) {
        map[KvPages.ROW_ENTRIES * r] = sequence;
        map[KvPages.ROW_ENTRIES * r + 1] = rank;
        map[KvPages.ROW_ENTRIES * r + 2] = count;
    }

    private static float[] random(SplittableRandom rnd, int n) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = (float) (rnd.nextDouble() * 2 - 1);
        }
        return x;
    }

    private static Activations activations(Backend backend, String name, int rows, int cols, float[] values) {
        Activations a = backend.allocateActivations(name, Math.max(1, rows), cols);
        backend.writeRows(values, rows, a, 0);
        return a;
    }

    private static DevicePositions positions(Backend backend, int[] values) {
        DevicePositions p = backend.allocatePositions("positions", values.length);
        backend.writePositions(values, values.length, p);
        return p;
    }

    private static DeviceInts ints(Backend backend, int[] values) {
        DeviceInts d = backend.allocateInts("kv rows", values.length);
        backend.writeInts(values, 0, values.length, d, 0);
        return d;
    }
}
