package dev.sptsrag.inference.backend;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * A paged KV cache for the backend contract: two layers (the ops run on layer 1, so a kernel that ignores the
 * layer reads layer 0's empty blocks) and several sequences, whose blocks come from the pool in a shuffled
 * order, so that a sequence's logical slots are neither contiguous nor in pool order. Each call is one step:
 * the fill counts the ops read are those before it.
 */
final class PagedTestCache {
    static final int LAYER = 1;
    private static final int LAYERS = 2;

    private final Backend backend;
    final KvPages pages;
    private final int[] filled;
    private final DeviceInts kvRows;
    private final int[] rowMap;

    PagedTestCache(Backend backend, int sequences, int maxTokens, int kvDim, int blockSize, long seed) {
        this.backend = backend;
        int maxBlocks = (maxTokens + blockSize - 1) / blockSize;
        int blocks = sequences * maxBlocks * LAYERS;
        List<Integer> order = new ArrayList<>();
        for (int b = 0; b < blocks; b++) {
            order.add(b);
        }
        Collections.shuffle(order, new Random(seed));
        int[] tables = new int[blocks];
        for (int i = 0; i < blocks; i++) {
            tables[i] = order.get(i);
        }
        KvBlockPool pool = backend.allocateKvBlockPool(blocks, blockSize, kvDim);
        DeviceInts deviceTables = backend.allocateInts("test tables", blocks);
        backend.writeInts(tables, 0, blocks, deviceTables, 0);
        this.filled = new int[sequences * LAYERS];
        DeviceInts deviceFilled = backend.allocateInts("test filled", filled.length);
        this.pages = new KvPages(pool, deviceTables, deviceFilled, LAYERS, maxBlocks);
        this.rowMap = new int[KvPages.ROW_ENTRIES * Math.max(maxTokens, 1) * sequences];
        this.kvRows = backend.allocateInts("test kv rows", rowMap.length);
    }

    /** Stores {@code rows} keys and values of {@code sequence} after what it holds, in one step. */
    void store(Activations k, Activations v, int rows, DevicePositions positions, int sequence) {
        mapRows(rows, sequence, rows);
        backend.storeKv(k, v, rows, positions, kvRows, pages, LAYER);
        filled[sequence * LAYERS + LAYER] += rows;
        backend.writeInts(filled, 0, filled.length, pages.filled(), 0);
    }

    /** Attention of {@code rows} queries of {@code sequence} over everything it holds (a step that stores nothing). */
    void attend(Activations q, int rows, DevicePositions positions, int sequence, AttentionShape shape, Activations out) {
        mapRows(rows, sequence, 0);
        backend.attention(q, rows, positions, kvRows, pages, LAYER, shape, out);
    }

    /**
     * One step of several sequences: run i is {@code lengths[i]} rows of sequence {@code sequences[i]}, each
     * stored and attending in the step.
     */
    void storeAndAttend(Activations q, Activations k, Activations v, DevicePositions positions, int[] sequences,
                        int[] lengths, AttentionShape shape, Activations out) {
        int row = 0;
        for (int i = 0; i < sequences.length; i++) {
            for (int rank = 0; rank < lengths[i]; rank++, row++) {
                rowMap[KvPages.ROW_ENTRIES * row] = sequences[i];
                rowMap[KvPages.ROW_ENTRIES * row + 1] = rank;
                rowMap[KvPages.ROW_ENTRIES * row + 2] = lengths[i];
            }
        }
        backend.writeInts(rowMap, 0, KvPages.ROW_ENTRIES * row, kvRows, 0);
        backend.storeKv(k, v, row, positions, kvRows, pages, LAYER);
        backend.attention(q, row, positions, kvRows, pages, LAYER, shape, out);
        for (int i = 0; i < sequences.length; i++) {
            filled[sequences[i] * LAYERS + LAYER] += lengths[i];
        }
        backend.writeInts(filled, 0, filled.length, pages.filled(), 0);
    }

    private void mapRows(int rows, int sequence, int added) {
        for (int r = 0; r < rows; r++) {
            rowMap[KvPages.ROW_ENTRIES * r] = sequence;
            rowMap[KvPages.ROW_ENTRIES * r + 1] = r;
            rowMap[KvPages.ROW_ENTRIES * r + 2] = added;
        }
        backend.writeInts(rowMap, 0, KvPages.ROW_ENTRIES * rows, kvRows, 0);
    }
}
