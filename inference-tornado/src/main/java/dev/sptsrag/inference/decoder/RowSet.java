package dev.sptsrag.inference.decoder;

import dev.sptsrag.inference.backend.DeviceInts;
import dev.sptsrag.inference.backend.DeviceMemory;
import dev.sptsrag.inference.backend.DevicePositions;
import dev.sptsrag.inference.backend.KvPages;
import dev.sptsrag.inference.backend.MemoryPlanning;

/**
 * The rows of the residual stream that a {@link DecoderBlock} op runs on, with the token position of each.
 * Either the <em>leading</em> rows {@code 0..count-1} in order — the dense pass: norms read the residual in
 * place and results are added back in place, nothing is gathered or scattered — or the rows <em>listed</em>
 * in an index array — SPTS: a subset of the prompt, gathered into compact buffers and added back row by row.
 * Either way a compact buffer (normalised rows, Q, K, V, attention output) holds entry {@code i} of the set
 * in its row {@code i}.
 *
 * <p>A set reads arrays its owner keeps filling and has a count its owner sets, so one set serves every
 * layer and every batch without allocating. Its positions also live on the backend, in a
 * {@link DevicePositions} allocated with the set: the owner calls {@link #publishPositions} once after it
 * has filled the positions and set the count for a step, and every op of the step (RoPE, the KV store,
 * attention) reads that copy, so nothing is uploaded per op. A set whose ops need no positions (the FFN's)
 * has none.
 *
 * <p>A set with positions also says which sequence of the paged {@link KvCache} each entry belongs to: one
 * sequence for all ({@link #setSequence}), or consecutive runs of several (a decode step of many sequences,
 * {@link #setRuns}). {@link #publishPositions} writes that map ({@link KvPages}' {@code kvRows}) with the
 * positions.
 */
public final class RowSet {
    private final int[] rows; // null: the leading rows
    private int[] positions;
    private final DeviceMemory memory;              // null: a set without positions
    private final DevicePositions devicePositions;  // what the ops read
    private final DeviceInts deviceKvRows;          // each entry's sequence, rank and run length
    private final int[] kvRows;
    private int count;
    private int kvRowsCount = -1; // entries of the last published map
    // The runs of one sequence each, in entry order: the owner's arrays, or the single run below.
    private int[] runSequences;
    private int[] runLengths;
    private int runs;
    private final int[] singleSequence = new int[1];
    private final int[] singleLength = new int[1];
    private boolean single;

    private RowSet(int[] rows, int[] positions, DeviceMemory memory, DevicePositions devicePositions, int capacity) {
        this.rows = rows;
        this.positions = positions;
        this.memory = memory;
        this.devicePositions = devicePositions;
        this.deviceKvRows = memory != null ? memory.allocateInts(devicePositions.name() + " kv rows",
                KvPages.ROW_ENTRIES * capacity) : null;
        this.kvRows = memory != null ? new int[KvPages.ROW_ENTRIES * capacity] : null;
        setSequence(0);
    }

    /** Bytes a set with positions of {@code capacity} entries holds on a backend, for the memory plan. */
    public static long bytes(MemoryPlanning backend, int capacity) {
        return backend.positionsBytes(capacity) + backend.intsBytes(KvPages.ROW_ENTRIES * capacity);
    }

    /**
     * The leading rows of the residual, at most {@code capacity} of them, with positions on {@code memory}
     * (named {@code name}); give each batch's positions with {@link #setPositions}, then publish them.
     */
    public static RowSet leading(DeviceMemory memory, String name, int capacity) {
        return new RowSet(null, null, memory, memory.allocatePositions(name, capacity), capacity);
    }

    /**
     * The residual rows {@code rows[0..count)}, at token positions {@code positions[0..count)}; both arrays
     * stay the caller's (and may be the same array, where a row is its token's position). The positions get
     * room for {@code positions.length} entries on {@code memory}, named {@code name}.
     */
    public static RowSet listed(int[] rows, int[] positions, DeviceMemory memory, String name) {
        if (rows == null || positions == null || memory == null) {
            throw new IllegalArgumentException("a listed row set needs its rows, their positions and a backend");
        }
        return new RowSet(rows, positions, memory, memory.allocatePositions(name, positions.length), positions.length);
    }

    /**
     * The residual rows {@code rows[0..count)} for ops that need no positions (norms, the FFN): nothing is
     * allocated on the backend, and an op that would read positions refuses.
     */
    public static RowSet listed(int[] rows) {
        if (rows == null) {
            throw new IllegalArgumentException("a listed row set needs its rows");
        }
        return new RowSet(rows, null, null, null, 0);
    }

    /** Positions of the entries from now on (e.g. a new batch's); the array stays the caller's. */
    public void setPositions(int[] positions) {
        if (devicePositions == null) {
            throw new IllegalStateException("a row set without positions");
        }
        this.positions = positions;
    }

    /** Uses the first {@code count} entries from now on. */
    public void setCount(int count) {
        if (count < 0 || (rows != null && count > rows.length) || (positions != null && count > positions.length)
                || (devicePositions != null && count > devicePositions.capacity())) {
            throw new IllegalArgumentException("row set of " + count + " entries, arrays of "
                    + (rows != null ? rows.length : "-") + " rows and "
                    + (positions != null ? positions.length : "-") + " positions"
                    + (devicePositions != null ? ", room for " + devicePositions.capacity() + " on the backend" : ""));
        }
        this.count = count;
    }

    /** Every entry from now on belongs to cache sequence {@code sequence}, in position order. */
    public void setSequence(int sequence) {
        singleSequence[0] = sequence;
        runSequences = singleSequence;
        runLengths = singleLength;
        runs = 1;
        single = true;
    }

    /**
     * From now on the entries come in {@code runs} runs: run i is {@code lengths[i]} consecutive entries of
     * cache sequence {@code sequences[i]}, in position order; the lengths add up to the count. The arrays stay
     * the caller's.
     */
    public void setRuns(int[] sequences, int[] lengths, int runs) {
        this.runSequences = sequences;
        this.runLengths = lengths;
        this.runs = runs;
        this.single = false;
    }

    /** Runs of one sequence each (1 after {@link #setSequence}). */
    public int runCount() { return runs; }

    /** The cache sequence of run {@code i}. */
    public int runSequence(int i) { return runSequences[i]; }

    /** Entries of run {@code i}. */
    public int runLength(int i) { return single ? count : runLengths[i]; }

    /**
     * Copies the positions of entries {@code [0, count)} and their sequences to the backend, where the ops of this
     * step read them; call it whenever the owner has changed them (a new batch, a new subset), and only then.
     */
    public void publishPositions() {
        if (devicePositions == null) {
            throw new IllegalStateException("a row set without positions");
        }
        if (positions == null) {
            throw new IllegalStateException("no positions given to " + devicePositions.name());
        }
        memory.writePositions(positions, count, devicePositions);
        int entry = 0;
        for (int i = 0; i < runs; i++) {
            int length = runLength(i);
            for (int rank = 0; rank < length; rank++, entry++) {
                kvRows[KvPages.ROW_ENTRIES * entry] = runSequences[i];
                kvRows[KvPages.ROW_ENTRIES * entry + 1] = rank;
                kvRows[KvPages.ROW_ENTRIES * entry + 2] = length;
            }
        }
        if (entry != count) {
            throw new IllegalStateException("runs of " + entry + " entries in a set of " + count);
        }
        memory.writeInts(kvRows, 0, KvPages.ROW_ENTRIES * count, deviceKvRows, 0);
        kvRowsCount = count;
    }

    /** True for the leading rows {@code 0..count-1}, where {@link #rows()} is null. */
    public boolean isLeading() { return rows == null; }

    /** The residual rows, entries {@code [0, count)}; null for the leading rows. */
    public int[] rows() { return rows; }

    /** Token position of each entry, {@code [0, count)}, as the owner fills them; null for a set without positions. */
    public int[] positions() { return positions; }

    /**
     * The positions the ops read, as last published.
     *
     * @throws IllegalStateException when the set has none, or they were published for another count (the
     *                               owner changed the set and did not publish)
     */
    public DevicePositions devicePositions() {
        if (devicePositions == null) {
            throw new IllegalStateException("an op that needs positions on a row set without them");
        }
        if (devicePositions.count() != count) {
            throw new IllegalStateException("positions " + devicePositions.name() + " published for "
                    + devicePositions.count() + " entries, the set has " + count + ": publish after a change");
        }
        return devicePositions;
    }

    /** Each entry's sequence, rank and run length ({@link KvPages}), as last published. */
    public DeviceInts kvRows() {
        devicePositions(); // the same checks: a set with positions, published for this count
        if (kvRowsCount != count) {
            throw new IllegalStateException("kv rows of " + devicePositions.name() + " published for " + kvRowsCount
                    + " entries, the set has " + count);
        }
        return deviceKvRows;
    }

    public int count() { return count; }
}
