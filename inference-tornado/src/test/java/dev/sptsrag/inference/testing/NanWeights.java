package dev.sptsrag.inference.testing;

import dev.sptsrag.inference.convert.GgufConverter;
import dev.sptsrag.inference.gguf.GgufFile;
import dev.sptsrag.inference.gguf.GgufTensorInfo;
import dev.sptsrag.inference.tensor.GgmlType;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;

/**
 * A parity fixture as an F32 GGUF file with NaN written over some of one tensor's elements: what a
 * damaged download or a broken conversion looks like to the engine, with every header still valid.
 */
public final class NanWeights {
    private NanWeights() {
    }

    /** Converts fixture {@code fixture} to {@code out} (F32), then sets elements {@code [from, from + count)} of {@code tensor} to NaN. */
    public static Path write(String fixture, Path out, String tensor, long from, long count) {
        try {
            GgufConverter.convert(ParityFixture.load(fixture).folder(), out, GgmlType.F32, line -> { });
            long offset;
            try (GgufFile gguf = GgufFile.open(out)) {
                GgufTensorInfo info = gguf.findTensor(tensor).orElseThrow(() -> new IllegalArgumentException("no tensor " + tensor));
                if (info.type() != GgmlType.F32 || from < 0 || from + count > info.elementCount()) {
                    throw new IllegalArgumentException(info + ": cannot write NaN at [" + from + ", " + (from + count) + ")");
                }
                offset = gguf.dataOffset() + info.relativeOffset() + from * Float.BYTES;
            }
            ByteBuffer nans = ByteBuffer.allocate(Math.toIntExact(count * Float.BYTES)).order(ByteOrder.LITTLE_ENDIAN);
            while (nans.hasRemaining()) {
                nans.putFloat(Float.NaN);
            }
            nans.flip();
            try (FileChannel ch = FileChannel.open(out, StandardOpenOption.WRITE)) {
                while (nans.hasRemaining()) {
                    ch.write(nans, offset + nans.position());
                }
            }
            return out;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
