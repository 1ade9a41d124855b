package dev.sptsrag.inference.safetensors;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.tensor.WeightTensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * One memory-mapped {@code .safetensors} file: an 8-byte little-endian header length {@code N},
 * {@code N} bytes of JSON header, then the tensor bytes. The whole header is validated when the
 * file is opened (see {@link SafetensorsHeader}); the tensors are then read-only views of the
 * mapping, valid until {@link #close()}.
 *
 * <p>Tensor views are not necessarily aligned to their element size (that depends on the header
 * padding of the writer), so readers should use unaligned layouts such as
 * {@link ValueLayout#JAVA_FLOAT_UNALIGNED}. Values are little-endian.
 */
public final class SafetensorsFile implements AutoCloseable {
    /** Header size limit: a real header is kilobytes to a few megabytes; this stops a hostile length. */
    static final long MAX_HEADER_BYTES = 100_000_000L;

    private static final ValueLayout.OfLong LENGTH_FIELD =
            ValueLayout.JAVA_LONG_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final Path path;
    private final Arena arena;
    private final Map<String, WeightTensor> tensors;
    private final Map<String, String> metadata;
    private volatile boolean closed;

    private SafetensorsFile(Path path, Arena arena, Map<String, WeightTensor> tensors, Map<String, String> metadata) {
        this.path = path;
        this.arena = arena;
        this.tensors = tensors;
        this.metadata = metadata;
    }

    /**
     * Maps and validates {@code file}.
     *
     * @throws ModelFormatException      when the file cannot be read or is malformed
     * @throws UnsupportedModelException when it is well-formed but holds a tensor whose dtype the
     *                                   engine does not read (F64, I64, F8_E4M3, ...)
     */
    public static SafetensorsFile open(Path file) {
        String source = file.toString();
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = channel.size();
            if (size < Long.BYTES) {
                throw new ModelFormatException(source + ": " + size + " bytes is too short for a safetensors file");
            }
            MemorySegment mapped = channel.map(FileChannel.MapMode.READ_ONLY, 0, size, arena);
            long headerLength = mapped.get(LENGTH_FIELD, 0);
            // Compared as a signed long: a length with the top bit set is negative, i.e. huge.
            if (headerLength < 0 || headerLength > MAX_HEADER_BYTES) {
                throw new ModelFormatException(source + ": safetensors header length " + Long.toUnsignedString(headerLength)
                        + " exceeds the limit of " + MAX_HEADER_BYTES + " bytes");
            }
            if (headerLength > size - Long.BYTES) {
                throw new ModelFormatException(source + ": safetensors header length " + headerLength
                        + " runs past the end of the " + size + "-byte file");
            }
            long dataStart = Long.BYTES + headerLength;
            byte[] headerBytes = mapped.asSlice(Long.BYTES, headerLength).toArray(ValueLayout.JAVA_BYTE);
            SafetensorsHeader header = SafetensorsHeader.parse(headerBytes, size - dataStart, source);

            Map<String, WeightTensor> tensors = new LinkedHashMap<>();
            for (SafetensorsHeader.Entry e : header.entries()) {
                MemorySegment data = mapped.asSlice(dataStart + e.begin(), e.byteLength()).asReadOnly();
                tensors.put(e.name(), new WeightTensor(e.name(), e.dtype().engineType(), e.shape(), data));
            }
            return new SafetensorsFile(file, arena, Collections.unmodifiableMap(tensors), header.metadata());
        } catch (NoSuchFileException e) {
            arena.close();
            throw new ModelFormatException(source + ": no such file", e);
        } catch (IOException e) {
            arena.close();
            throw new ModelFormatException(source + ": cannot read: " + e.getMessage(), e);
        } catch (RuntimeException | Error e) {
            arena.close();
            throw e;
        }
    }

    /** The file this was opened from. */
    public Path path() { return path; }

    /** Tensor names in header order. */
    public Set<String> tensorNames() {
        checkOpen();
        return tensors.keySet();
    }

    /**
     * The tensor called {@code name}.
     *
     * @throws ModelFormatException when the file has no such tensor
     */
    public WeightTensor tensor(String name) {
        return findTensor(name).orElseThrow(() -> new ModelFormatException(path + ": no tensor \"" + name + "\""));
    }

    public Optional<WeightTensor> findTensor(String name) {
        checkOpen();
        return Optional.ofNullable(tensors.get(name));
    }

    /** The header's {@code __metadata__} (e.g. {@code format=pt}); empty when there is none. */
    public Map<String, String> metadata() { return metadata; }

    /** Unmaps the file; tensor views handed out before become inaccessible. Idempotent. */
    @Override
    public synchronized void close() {
        if (!closed) {
            closed = true;
            arena.close();
        }
    }

    private void checkOpen() {
        if (closed) {
            throw new IllegalStateException(path + " is closed");
        }
    }

    @Override
    public String toString() {
        return "SafetensorsFile[" + path + ", " + tensors.size() + " tensors]";
    }
}
