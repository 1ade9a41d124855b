package dev.sptsrag.inference.decoder;

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
        RowSet batch = RowSet.leading();
        int[] positions = {7, 8, 9};
        batch.setPositions(positions);
        batch.setCount(2);
        assertTrue(batch.isLeading());
        assertNull(batch.rows());
        assertSame(positions, batch.positions());
        assertEquals(2, batch.count());
        assertThrows(IllegalArgumentException.class, () -> batch.setCount(4), "more entries than positions");
    }

    @Test
    void listedRowsReadTheirOwnersArraysAsTheyChange() {
        int[] rows = new int[4];
        RowSet set = RowSet.listed(rows, rows);
        rows[0] = 3;
        rows[1] = 5;
        set.setCount(2);
        assertFalse(set.isLeading());
        assertArrayEquals(new int[] {3, 5}, Arrays.copyOf(set.rows(), set.count()));
        assertThrows(IllegalArgumentException.class, () -> set.setCount(5), "more entries than rows");
        assertThrows(IllegalArgumentException.class, () -> set.setCount(-1));
        assertThrows(IllegalArgumentException.class, () -> RowSet.listed(rows, null));
    }
}
