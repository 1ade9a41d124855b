package dev.sptsrag.inference.backend.cuda;

import org.junit.jupiter.api.Test;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;

/** The native {@code void*[]} that cuLaunchKernel reads, checked byte by byte. */
class KernelArgsTest {

    private static final ValueLayout.OfLong LE_LONG = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    private static final ValueLayout.OfInt LE_INT = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    @Test
    void eachPointerEntryAddressesItsOwnEightByteSlot() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs args = new KernelArgs(arena, 4);

            MemorySegment pointers = args.pointers();
            assertEquals(4 * ADDRESS.byteSize(), pointers.byteSize());
            long first = pointers.getAtIndex(ADDRESS, 0).address();
            assertNotEquals(0, first);
            for (int i = 0; i < 4; i++) {
                assertEquals(first + 8L * i, pointers.getAtIndex(ADDRESS, i).address(), "slot " + i);
                assertEquals(0, first % 8, "slots are 8-byte aligned");
            }
        }
    }

    @Test
    void valuesLandLittleEndianAtTheSlotStart() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs args = new KernelArgs(arena, 4);
            assertSame(args, args.setPointer(0, 0x7f00_1234_5678_9abcL).setInt(1, -2).setFloat(2, 1.5f).set(3, 1L << 40));

            assertEquals(0x7f00_1234_5678_9abcL, slot(args, 0).get(LE_LONG, 0));
            assertEquals(-2, slot(args, 1).get(LE_INT, 0));
            assertEquals(Float.floatToRawIntBits(1.5f), slot(args, 2).get(LE_INT, 0));
            assertEquals(1L << 40, slot(args, 3).get(LE_LONG, 0));
            assertEquals((byte) 0xbc, slot(args, 0).get(ValueLayout.JAVA_BYTE, 0), "lowest byte first");
        }
    }

    @Test
    void refillingOverwritesInPlace() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs args = new KernelArgs(arena, 1);
            long before = args.pointers().getAtIndex(ADDRESS, 0).address();
            args.setInt(0, 7);
            args.setInt(0, 9);
            assertEquals(9, slot(args, 0).get(LE_INT, 0));
            assertEquals(before, args.pointers().getAtIndex(ADDRESS, 0).address());
        }
    }

    @Test
    void indexOutsideTheArgumentsIsRejected() {
        try (Arena arena = Arena.ofConfined()) {
            KernelArgs args = new KernelArgs(arena, 2);
            assertThrows(IndexOutOfBoundsException.class, () -> args.setInt(2, 1));
            assertThrows(IndexOutOfBoundsException.class, () -> args.set(-1, 1));
        }
    }

    private static MemorySegment slot(KernelArgs args, int i) {
        return args.pointers().getAtIndex(ADDRESS, i).reinterpret(8);
    }
}
