package dev.sptsrag.inference.decoder;

import dev.sptsrag.inference.backend.DeviceMemory;
import dev.sptsrag.inference.backend.DevicePositions;

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
 */
public final class RowSet {
    private final int[] rows; // null: the leading rows
    private int[] positions;
    private final DeviceMemory memory;              // null: a set without positions
    private final DevicePositions devicePositions;  // what the ops read
    private int count;

    private RowSet(int[] rows, int[] positions, DeviceMemory memory, DevicePositions devicePositions) {
        this.rows = rows;
        this.positions = positions;
        this.memory = memory;
        this.devicePositions = devicePositions;
    }

    /**
     * The leading rows of the residual, at most {@code capacity} of them, with positions on {@code memory}
     * (named {@code name}); give each batch's positions with {@link #setPositions}, then publish them.
     */
    public static RowSet leading(DeviceMemory memory, String name, int capacity) {
        return new RowSet(null, null, memory, memory.allocatePositions(name, capacity));
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
        return new RowSet(rows, positions, memory, memory.allocatePositions(name, positions.length));
    }

    /**
     * The residual rows {@code rows[0..count)} for ops that need no positions (norms, the FFN): nothing is
     * allocated on the backend, and an op that would read positions refuses.
     */
    public static RowSet listed(int[] rows) {
        if (rows == null) {
            throw new IllegalArgumentException("a listed row set needs its rows");
        }
        return new RowSet(rows, null, null, null);
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

    /**
     * Copies the positions of entries {@code [0, count)} to the backend, where the ops of this step read them;
     * call it whenever the owner has changed them (a new batch, a new subset), and only then.
     */
    public void publishPositions() {
        if (devicePositions == null) {
            throw new IllegalStateException("a row set without positions");
        }
        if (positions == null) {
            throw new IllegalStateException("no positions given to " + devicePositions.name());
        }
        memory.writePositions(positions, count, devicePositions);
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

    public int count() { return count; }
}
