package dev.sptsrag.inference.decoder;

import dev.sptsrag.inference.backend.cpu.CpuBackend;
import org.junit.jupiter.api.Test;

import java.util.Arrays;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RowSetTest {

    @Test
    void leadingRowsHaveNoIndexAndTakeEachBatchsPositions() {
        try (CpuBackend backend = new CpuBackend(1)) {
            RowSet batch = RowSet.leading(backend, "batch", 8);
            int[] positions = {7, 8, 9};
            batch.setPositions(positions);
            batch.setCount(2);
            assertTrue(batch.isLeading());
            assertNull(batch.rows());
            assertSame(positions, batch.positions());
            assertEquals(2, batch.count());
            assertThrows(IllegalArgumentException.class, () -> batch.setCount(4), "more entries than positions");
            assertThrows(IllegalArgumentException.class, () -> RowSet.leading(backend, "batch", 2).setCount(3),
                    "more entries than room on the backend");
        }
    }

    @Test
    void listedRowsReadTheirOwnersArraysAsTheyChange() {
        try (CpuBackend backend = new CpuBackend(1)) {
            int[] rows = new int[4];
            RowSet set = RowSet.listed(rows, rows, backend, "set");
            rows[0] = 3;
            rows[1] = 5;
            set.setCount(2);
            assertFalse(set.isLeading());
            assertArrayEquals(new int[] {3, 5}, Arrays.copyOf(set.rows(), set.count()));
            assertThrows(IllegalArgumentException.class, () -> set.setCount(5), "more entries than rows");
            assertThrows(IllegalArgumentException.class, () -> set.setCount(-1));
            assertThrows(IllegalArgumentException.class, () -> RowSet.listed(rows, null, backend, "set"));
        }
    }

    /** Ops read the positions as last published: the owner publishes after each change, once per step. */
    @Test
    void opsReadThePositionsAsLastPublished() {
        try (CpuBackend backend = new CpuBackend(1)) {
            int[] rows = {4, 6, 9, 0};
            RowSet set = RowSet.listed(rows, rows, backend, "set");
            set.setCount(3);
            assertThrows(IllegalStateException.class, set::devicePositions, "not published yet");
            set.publishPositions();
            assertEquals(3, set.devicePositions().count());
            assertSame(set.devicePositions(), set.devicePositions(), "one handle for every op");
            set.setCount(2);
            assertThrows(IllegalStateException.class, set::devicePositions, "changed and not published");
            set.publishPositions();
            assertEquals(2, set.devicePositions().count());
        }
    }

    @Test
    void aSetForOpsWithoutPositionsHasNone() {
        int[] rows = {1, 2};
        RowSet ffn = RowSet.listed(rows);
        ffn.setCount(2);
        assertNull(ffn.positions());
        assertThrows(IllegalStateException.class, ffn::devicePositions);
        assertThrows(IllegalStateException.class, ffn::publishPositions);
        assertThrows(IllegalArgumentException.class, () -> RowSet.listed(null));
    }
}
