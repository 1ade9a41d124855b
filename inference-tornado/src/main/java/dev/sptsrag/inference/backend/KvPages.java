package dev.sptsrag.inference.backend;

/**
 * A paged key/value cache as the ops see it. Logical slot {@code j} of cache sequence {@code s} in layer
 * {@code l} is slot {@code j % B} of block {@code blockTables[(s · maxBlocks + j / B) · layers + l]} of
 * {@code pool} (B its block size); {@code filled[s · layers + l]} slots of it were filled before the current
 * step. The block index runs before the layer so that a step that gives every layer of a sequence one more
 * block writes one run of {@code layers} entries.
 *
 * <p>A step's rows name their sequence in a {@link DeviceInts} of three entries per row, {@code kvRows}:
 * {@code [3r]} the cache sequence, {@code [3r + 1]} the row's rank among that sequence's rows of the step,
 * {@code [3r + 2]} the slots the step adds to that sequence in the layer: its row count, as every step stores the
 * rows it attends with (0 only for an attention that stores nothing, which the contract tests use). A sequence has
 * at most one run per step, its rows consecutive, ranks counting from 0 in position order; a run ends where the
 * sequence changes. Row {@code r} stores its key and value at logical slot
 * {@code filled + rank} and attends over the first {@code filled + added} logical slots, those whose position
 * is not after its own.
 */
public record KvPages(KvBlockPool pool, DeviceInts blockTables, DeviceInts filled, int layers, int maxBlocks) {
    /** Entries per row of a step's {@code kvRows}. */
    public static final int ROW_ENTRIES = 3;

    public KvPages {
        if (pool == null || blockTables == null || filled == null) {
            throw new IllegalArgumentException("a paged cache needs its pool, block tables and fill counts");
        }
        if (layers <= 0 || maxBlocks <= 0) {
            throw new IllegalArgumentException("paged cache of " + layers + " layers and " + maxBlocks + " blocks per sequence");
        }
    }

    /** Sequences the tables have room for. */
    public int sequences() {
        return filled.capacity() / layers;
    }
}
