package dev.sptsrag.inference.decoder;

import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.DeviceInts;
import dev.sptsrag.inference.backend.KvBlockPool;
import dev.sptsrag.inference.backend.KvPages;
import dev.sptsrag.inference.model.ModelConfig;

import java.util.Arrays;

/**
 * The paged key/value cache of every sequence an engine runs: one pool of fixed-size blocks on the backend,
 * shared by all layers and sequences, and for each open sequence and layer a block table and a count of
 * filled slots ({@link KvPages} says how the ops read them). Layers fill independently, so a layer that keeps
 * fewer tokens (token skipping in deep layers) takes fewer blocks, and those blocks serve other sequences.
 *
 * <p>The host owns the tables: {@link #reserve} takes blocks from the free list before a step (so a scheduler
 * can refuse or preempt <em>before</em> it runs anything), {@link #advance} counts what a step stored, and
 * {@link #publish} copies what changed to the backend once, before the step's first op; the ops of a step
 * read the fill counts as they were when it began. Nothing is allocated after construction.
 */
public final class KvCache {
    /** Slots per block unless a caller chooses: small enough that a skipped layer's savings are real. */
    public static final int DEFAULT_BLOCK_SIZE = 16;

    private final Backend backend;
    private final int layers;
    private final int blockSize;
    private final int maxBlocks;    // per sequence and layer
    private final int sequences;
    private final KvBlockPool pool;
    private final DeviceInts deviceTables;
    private final DeviceInts deviceFilled;
    private final KvPages pages;
    private final long slotBytes;

    private final int[] tables;     // [(s · maxBlocks + b) · layers + l]
    private final int[] filled;     // [s · layers + l]
    private final int[] blocksHeld; // [s · layers + l]: blocks in the table of (s, l)
    private final boolean[] open;
    private final int[] freeBlocks; // a stack
    private int freeCount;
    private final int[] refs;       // per block: the tables that hold it, plus one while a prefix cache keeps it
    private Reclaimer reclaimer = Reclaimer.NONE;
    // What publish() copies: per sequence, the table entries from a block index on, and its fill counts.
    private final int[] dirtyTableFrom;
    private final int[] dirtyTableTo;
    private final boolean[] dirtyFilled;

    /**
     * @param sequences   sequences open at once, at most
     * @param maxTokens   tokens one sequence may hold in one layer (its context length)
     * @param blocks      blocks in the pool, for all sequences and layers together
     * @param blockSize   slots per block, a power of two
     */
    public KvCache(ModelConfig config, Backend backend, int sequences, int maxTokens, int blocks, int blockSize) {
        if (sequences <= 0 || maxTokens <= 0 || blocks <= 0 || blockSize <= 0 || Integer.bitCount(blockSize) != 1) {
            throw new IllegalArgumentException("KV cache of " + sequences + " sequences of " + maxTokens + " tokens in "
                    + blocks + " blocks of " + blockSize + " slots (a power of two)");
        }
        this.backend = backend;
        this.layers = config.layerCount();
        this.blockSize = blockSize;
        this.maxBlocks = ceilDiv(maxTokens, blockSize);
        this.sequences = sequences;
        this.pool = backend.allocateKvBlockPool(blocks, blockSize, config.kvDim());
        this.tables = new int[Math.multiplyExact(Math.multiplyExact(sequences, maxBlocks), layers)];
        this.filled = new int[sequences * layers];
        this.blocksHeld = new int[sequences * layers];
        this.deviceTables = backend.allocateInts("kv block tables", tables.length);
        this.deviceFilled = backend.allocateInts("kv filled", filled.length);
        this.pages = new KvPages(pool, deviceTables, deviceFilled, layers, maxBlocks);
        this.slotBytes = backend.kvBlockPoolBytes(1, 1, config.kvDim());
        this.open = new boolean[sequences];
        this.freeBlocks = new int[blocks];
        for (int b = 0; b < blocks; b++) {
            freeBlocks[b] = blocks - 1 - b; // block 0 on top
        }
        this.freeCount = blocks;
        this.refs = new int[blocks];
        this.dirtyTableFrom = new int[sequences];
        this.dirtyTableTo = new int[sequences];
        this.dirtyFilled = new boolean[sequences];
        Arrays.fill(dirtyTableFrom, Integer.MAX_VALUE);
    }

    /**
     * A cache for one sequence of {@code capacity} tokens, with a block for every slot of every layer; its
     * sequence 0 is open.
     */
    public static KvCache forOneSequence(ModelConfig config, Backend backend, int capacity) {
        KvCache cache = new KvCache(config, backend, 1, capacity, blocksFor(config, capacity, DEFAULT_BLOCK_SIZE, 1),
                DEFAULT_BLOCK_SIZE);
        cache.open();
        return cache;
    }

    /** Blocks that hold {@code sequences} sequences of {@code tokens} tokens in every layer. */
    public static int blocksFor(ModelConfig config, int tokens, int blockSize, int sequences) {
        return Math.multiplyExact(Math.multiplyExact(ceilDiv(tokens, blockSize), config.layerCount()), sequences);
    }

    /** Bytes a cache of these dimensions holds on {@code backend}: the pool, the tables and the fill counts. */
    public static long bytes(ModelConfig config, Backend backend, int sequences, int maxTokens, int blocks,
                             int blockSize) {
        long tableEntries = (long) sequences * ceilDiv(maxTokens, blockSize) * config.layerCount();
        return backend.kvBlockPoolBytes(blocks, blockSize, config.kvDim())
                + backend.intsBytes(Math.toIntExact(tableEntries))
                + backend.intsBytes(sequences * config.layerCount());
    }

    /** Opens a sequence with nothing stored; -1 when {@link #sequences()} are open. */
    public int open() {
        for (int s = 0; s < sequences; s++) {
            if (!open[s]) {
                open[s] = true;
                Arrays.fill(filled, s * layers, (s + 1) * layers, 0);
                dirtyFilled[s] = true;
                return s;
            }
        }
        return -1;
    }

    /**
     * Frees blocks that only a keeper such as a {@link PrefixCache} holds, when a reservation finds the pool short.
     */
    public interface Reclaimer {
        Reclaimer NONE = new Reclaimer() {
            @Override
            public int reclaim(int blocks) { return 0; }

            @Override
            public int reclaimable() { return 0; }
        };

        /** Lets go of kept blocks until {@code blocks} more are free, or none is left to let go; returns how many. */
        int reclaim(int blocks);

        /** Blocks {@link #reclaim} could free. */
        int reclaimable();
    }

    /** Who frees kept blocks when the pool runs short (one keeper per cache). */
    public void reclaimWith(Reclaimer reclaimer) {
        this.reclaimer = reclaimer == null ? Reclaimer.NONE : reclaimer;
    }

    /** Gives every block of sequence {@code s} back to the pool (a shared one stays with its other holders) and closes it. */
    public void release(int s) {
        requireOpen(s);
        for (int l = 0; l < layers; l++) {
            int held = blocksHeld[s * layers + l];
            for (int b = 0; b < held; b++) {
                unref(tables[(s * maxBlocks + b) * layers + l]);
            }
            blocksHeld[s * layers + l] = 0;
            filled[s * layers + l] = 0;
        }
        open[s] = false;
        dirtyFilled[s] = false;
        dirtyTableFrom[s] = Integer.MAX_VALUE;
        dirtyTableTo[s] = 0;
    }

    /** Empties sequence {@code s}, which stays open: its blocks go back to the pool. */
    public void reset(int s) {
        release(s);
        open[s] = true;
        dirtyFilled[s] = true;
    }

    /** Closes every sequence (the memory stays allocated for the next ones). */
    public void clear() {
        for (int s = 0; s < sequences; s++) {
            if (open[s]) {
                release(s);
            }
        }
    }

    /**
     * Makes room for {@code slots} more slots in layer {@code layer} of sequence {@code s}, taking blocks from
     * the pool where its table ends.
     *
     * @return false, taking nothing, when the pool lacks the blocks or the sequence would pass its limit
     */
    public boolean reserve(int s, int layer, int slots) {
        int need = blocksNeeded(s, layer, slots);
        if (need < 0 || !haveFree(need)) {
            return false;
        }
        take(s, layer, need);
        return true;
    }

    /** {@link #reserve} in every layer, all or nothing. */
    public boolean reserveAll(int s, int slots) {
        int need = 0;
        for (int l = 0; l < layers; l++) {
            int n = blocksNeeded(s, l, slots);
            if (n < 0) {
                return false;
            }
            need += n;
        }
        if (!haveFree(need)) {
            return false;
        }
        for (int l = 0; l < layers; l++) {
            take(s, l, blocksNeeded(s, l, slots));
        }
        return true;
    }

    /** Whether {@code blocks} are free, after asking the reclaimer for the shortfall. */
    private boolean haveFree(int blocks) {
        if (blocks > freeCount) {
            reclaimer.reclaim(blocks - freeCount);
        }
        return blocks <= freeCount;
    }

    /** Blocks that {@link #reserve} of {@code slots} would take; -1 past the sequence's limit. */
    public int blocksNeeded(int s, int layer, int slots) {
        requireOpen(s);
        long end = (long) filled[s * layers + layer] + slots;
        if (slots < 0 || end > (long) maxBlocks * blockSize) {
            return -1;
        }
        return Math.max(0, ceilDiv((int) end, blockSize) - blocksHeld[s * layers + layer]);
    }

    private void take(int s, int layer, int blocks) {
        int held = blocksHeld[s * layers + layer];
        for (int i = 0; i < blocks; i++) {
            int block = freeBlocks[--freeCount];
            refs[block] = 1;
            tables[(s * maxBlocks + held + i) * layers + layer] = block;
        }
        if (blocks > 0) {
            dirtyTableFrom[s] = Math.min(dirtyTableFrom[s], held);
            dirtyTableTo[s] = Math.max(dirtyTableTo[s], held + blocks);
            blocksHeld[s * layers + layer] = held + blocks;
        }
    }

    /** Gives back the blocks of sequence {@code s} that hold no filled slot (reserved, then not used). */
    public void trim(int s) {
        requireOpen(s);
        for (int l = 0; l < layers; l++) {
            int keep = ceilDiv(filled[s * layers + l], blockSize);
            int held = blocksHeld[s * layers + l];
            for (int b = keep; b < held; b++) {
                unref(tables[(s * maxBlocks + b) * layers + l]);
            }
            blocksHeld[s * layers + l] = Math.min(held, keep);
        }
    }

    /**
     * Appends full blocks another holder filled to every layer of sequence {@code s}, which must end on a block
     * boundary in every layer: {@code blocks[l]} to layer l, counted as {@code blockSize} filled slots. The
     * blocks are shared, never written again (a sequence appends into its own blocks after them).
     */
    public void appendShared(int s, int[] blocks) {
        requireOpen(s);
        for (int l = 0; l < layers; l++) {
            int held = blocksHeld[s * layers + l];
            if (filled[s * layers + l] != held * blockSize || held == maxBlocks) {
                throw new IllegalStateException("sequence " + s + ", layer " + l + " does not end on a free block boundary");
            }
        }
        int held = blocksHeld[s * layers];
        for (int l = 0; l < layers; l++) {
            tables[(s * maxBlocks + held) * layers + l] = blocks[l];
            refs[blocks[l]]++;
            blocksHeld[s * layers + l] = held + 1;
            filled[s * layers + l] += blockSize;
        }
        dirtyTableFrom[s] = Math.min(dirtyTableFrom[s], held);
        dirtyTableTo[s] = Math.max(dirtyTableTo[s], held + 1);
        dirtyFilled[s] = true;
    }

    /** Block {@code b} of layer {@code l} of sequence {@code s}, from its table. */
    public int block(int s, int l, int b) {
        return tables[(s * maxBlocks + b) * layers + l];
    }

    /** One more holder of block {@code block} (a prefix cache keeping it). */
    public void ref(int block) {
        refs[block]++;
    }

    /** One holder fewer of block {@code block}; the last one gives it back to the pool. */
    public void unref(int block) {
        if (--refs[block] == 0) {
            freeBlocks[freeCount++] = block;
        }
    }

    /** Holders of block {@code block}. */
    public int holders(int block) {
        return refs[block];
    }

    /** Blocks a reservation can have: free ones, and kept ones a reclaimer would let go. */
    public int availableBlocks() {
        return freeCount + reclaimer.reclaimable();
    }

    /** Whether layer {@code layer} of sequence {@code s} has blocks for {@code slots} more slots. */
    public boolean hasRoom(int s, int layer, int slots) {
        return (long) filled[s * layers + layer] + slots <= (long) blocksHeld[s * layers + layer] * blockSize;
    }

    /** Records {@code slots} more filled slots in layer {@code l} of sequence {@code s} (after the backend stored them). */
    public void advance(int s, int l, int slots) {
        requireOpen(s);
        if (slots < 0 || !hasRoom(s, l, slots)) {
            throw new IllegalArgumentException("sequence " + s + ", layer " + l + ": " + filled[s * layers + l] + " + "
                    + slots + " slots exceed its " + blocksHeld[s * layers + l] + " blocks");
        }
        filled[s * layers + l] += slots;
        dirtyFilled[s] = true;
    }

    /**
     * Copies the tables and fill counts changed since the last call to the backend; a step calls it before its
     * first op, and its ops read these until the next call.
     */
    public void publish() {
        boolean filledChanged = false;
        for (int s = 0; s < sequences; s++) {
            if (dirtyTableFrom[s] < dirtyTableTo[s]) {
                int from = (s * maxBlocks + dirtyTableFrom[s]) * layers;
                int count = (dirtyTableTo[s] - dirtyTableFrom[s]) * layers;
                backend.writeInts(tables, from, count, deviceTables, from);
                dirtyTableFrom[s] = Integer.MAX_VALUE;
                dirtyTableTo[s] = 0;
            }
            filledChanged |= dirtyFilled[s];
            dirtyFilled[s] = false;
        }
        if (filledChanged) { // every decoding sequence changes its counts each step: one copy for all
            backend.writeInts(filled, 0, filled.length, deviceFilled, 0);
        }
    }

    private void requireOpen(int s) {
        if (s < 0 || s >= sequences || !open[s]) {
            throw new IllegalArgumentException("KV cache sequence " + s + " is not open");
        }
    }

    private static int ceilDiv(int a, int b) {
        return (a + b - 1) / b;
    }

    /** What the ops read. */
    public KvPages pages() { return pages; }

    /** Tokens one sequence may hold in one layer. */
    public int capacity() { return maxBlocks * blockSize; }

    public int sequences() { return sequences; }

    /** Sequences open now. */
    public int openSequences() {
        int n = 0;
        for (boolean o : open) {
            n += o ? 1 : 0;
        }
        return n;
    }

    public int layers() { return layers; }

    public int blockSize() { return blockSize; }

    public int blockCount() { return pool.blockCount(); }

    public int freeBlocks() { return freeCount; }

    /** Slots filled in layer {@code l} of sequence {@code s}. */
    public int filled(int s, int l) { return filled[s * layers + l]; }

    /** Blocks sequence {@code s} holds in layer {@code l}. */
    public int blocksHeld(int s, int l) { return blocksHeld[s * layers + l]; }

    /** Bytes of one slot (key, value and position) on the backend. */
    public long slotBytes() { return slotBytes; }

    /** Bytes of the pool on the backend. */
    public long bytes() { return pool.bytes(); }
}
