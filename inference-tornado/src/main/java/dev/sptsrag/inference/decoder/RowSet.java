package dev.sptsrag.inference.decoder;

/**
 * The rows of the residual stream that a {@link DecoderBlock} op runs on, with the token position of each.
 * Either the <em>leading</em> rows {@code 0..count-1} in order — the dense pass: norms read the residual in
 * place and results are added back in place, nothing is gathered or scattered — or the rows <em>listed</em>
 * in an index array — SPTS: a subset of the prompt, gathered into compact buffers and added back row by row.
 * Either way a compact buffer (normalised rows, Q, K, V, attention output) holds entry {@code i} of the set
 * in its row {@code i}.
 *
 * <p>A set reads arrays its owner keeps filling and has a count its owner sets, so one set serves every
 * layer and every batch without allocating.
 */
public final class RowSet {
    private final int[] rows; // null: the leading rows
    private int[] positions;
    private int count;

    private RowSet(int[] rows, int[] positions) {
        this.rows = rows;
        this.positions = positions;
    }

    /** The leading rows of the residual; give each batch's positions with {@link #setPositions}. */
    public static RowSet leading() {
        return new RowSet(null, null);
    }

    /**
     * The residual rows {@code rows[0..count)}, at token positions {@code positions[0..count)}; both arrays
     * stay the caller's (and may be the same array, where a row is its token's position).
     */
    public static RowSet listed(int[] rows, int[] positions) {
        if (rows == null || positions == null) {
            throw new IllegalArgumentException("a listed row set needs its rows and their positions");
        }
        return new RowSet(rows, positions);
    }

    /** Positions of the entries from now on (e.g. a new batch's); the array stays the caller's. */
    public void setPositions(int[] positions) {
        this.positions = positions;
    }

    /** Uses the first {@code count} entries from now on. */
    public void setCount(int count) {
        if (count < 0 || (rows != null && count > rows.length) || (positions != null && count > positions.length)) {
            throw new IllegalArgumentException("row set of " + count + " entries, arrays of "
                    + (rows != null ? rows.length : "-") + " rows and "
                    + (positions != null ? positions.length : "-") + " positions");
        }
        this.count = count;
    }

    /** True for the leading rows {@code 0..count-1}, where {@link #rows()} is null. */
    public boolean isLeading() { return rows == null; }

    /** The residual rows, entries {@code [0, count)}; null for the leading rows. */
    public int[] rows() { return rows; }

    /** Token position of each entry, {@code [0, count)}. */
    public int[] positions() { return positions; }

    public int count() { return count; }
}
