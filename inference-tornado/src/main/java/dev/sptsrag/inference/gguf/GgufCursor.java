package dev.sptsrag.inference.gguf;

import dev.sptsrag.inference.ModelFormatException;

import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * A read position in a GGUF file that checks every read against the file's length before it touches
 * the segment, so a malformed file yields a {@link ModelFormatException} and never an FFM bounds
 * error. All values are little-endian.
 */
final class GgufCursor {
    static final ValueLayout.OfShort U16 = ValueLayout.JAVA_SHORT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfInt U32 = ValueLayout.JAVA_INT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfLong U64 = ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);
    static final ValueLayout.OfDouble F64 = ValueLayout.JAVA_DOUBLE_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    /** Longest string the reader accepts; Java strings cannot hold much more anyway. */
    static final long MAX_STRING_BYTES = 1L << 30;

    private final MemorySegment file;
    private final long fileSize;
    private final CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder()
            .onMalformedInput(CodingErrorAction.REPORT)
            .onUnmappableCharacter(CodingErrorAction.REPORT);
    private long position;

    GgufCursor(MemorySegment file) {
        this.file = file;
        this.fileSize = file.byteSize();
    }

    long position() { return position; }

    long remaining() { return fileSize - position; }

    long fileSize() { return fileSize; }

    /** Fails unless {@code n} more bytes lie inside the file. */
    void require(long n) {
        if (n < 0 || n > remaining()) {
            throw new ModelFormatException("truncated: needed " + Long.toUnsignedString(n) + " bytes at offset "
                    + position + ", file has " + fileSize);
        }
    }

    int u8() {
        require(1);
        return Byte.toUnsignedInt(file.get(ValueLayout.JAVA_BYTE, position++));
    }

    int i8() {
        require(1);
        return file.get(ValueLayout.JAVA_BYTE, position++);
    }

    int u16() {
        return Short.toUnsignedInt(i16raw());
    }

    int i16() {
        return i16raw();
    }

    private short i16raw() {
        require(2);
        short v = file.get(U16, position);
        position += 2;
        return v;
    }

    /** A u32 or i32, raw bits. */
    int i32() {
        require(4);
        int v = file.get(U32, position);
        position += 4;
        return v;
    }

    long u32() {
        return Integer.toUnsignedLong(i32());
    }

    /** A u64 or i64, raw bits (a u64 of 2^63 or more comes back negative). */
    long i64() {
        require(8);
        long v = file.get(U64, position);
        position += 8;
        return v;
    }

    float f32() {
        require(4);
        float v = file.get(F32, position);
        position += 4;
        return v;
    }

    double f64() {
        require(8);
        double v = file.get(F64, position);
        position += 8;
        return v;
    }

    /**
     * A count that precedes {@code count} items of at least {@code minItemBytes} each: a count the
     * rest of the file cannot hold is rejected here, before anything is sized from it.
     */
    long count(String what, long minItemBytes) {
        long at = position;
        long n = i64();
        if (n < 0 || n > remaining() / minItemBytes) {
            throw new ModelFormatException(what + " " + Long.toUnsignedString(n) + " at offset " + at
                    + " cannot fit in the " + remaining() + " bytes left in the file");
        }
        return n;
    }

    /** A GGUF string: u64 byte length then that many bytes of UTF-8 (no terminator). */
    String string(long maxBytes) {
        long at = position;
        long length = i64();
        if (length < 0 || length > maxBytes) {
            throw new ModelFormatException("string length " + Long.toUnsignedString(length) + " at offset " + at
                    + " exceeds the limit of " + maxBytes + " bytes");
        }
        require(length);
        try {
            CharBuffer chars = utf8.reset().decode(file.asSlice(position, length).asByteBuffer());
            position += length;
            return chars.toString();
        } catch (CharacterCodingException e) {
            throw new ModelFormatException("string at offset " + at + " is not valid UTF-8", e);
        }
    }
}
