package dev.sptsrag.inference.gguf;

import dev.sptsrag.inference.ModelFormatException;
import dev.sptsrag.inference.UnsupportedModelException;
import dev.sptsrag.inference.tensor.TensorSource;
import dev.sptsrag.inference.tensor.WeightTensor;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.nio.channels.FileChannel;
import java.nio.channels.FileChannel.MapMode;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A GGUF v2/v3 file, memory-mapped whole and validated on {@link #open}: header, metadata and tensor
 * infos are parsed eagerly; tensor bytes stay in the mapping and are handed out as read-only views.
 *
 * <p>The mapping lives in a shared arena, so views may be read from any thread. {@link #close()}
 * unmaps the file: every {@link WeightTensor} obtained from it becomes unusable (access throws
 * {@link IllegalStateException}). The file must not be truncated by someone else while it is open.
 */
public final class GgufFile implements TensorSource, AutoCloseable {
    private final Path path;
    private final Arena arena;
    private final MemorySegment mapping;
    private final GgufHeader header;
    private final Map<String, GgufTensorInfo> tensorsByName;
    private final AtomicBoolean closed = new AtomicBoolean();

    private GgufFile(Path path, Arena arena, MemorySegment mapping, GgufHeader header) {
        this.path = path;
        this.arena = arena;
        this.mapping = mapping;
        this.header = header;
        Map<String, GgufTensorInfo> byName = new LinkedHashMap<>();
        for (GgufTensorInfo info : header.tensorInfos()) {
            byName.put(info.name(), info);
        }
        this.tensorsByName = byName;
    }

    /**
     * Maps and validates {@code path}.
     *
     * @throws ModelFormatException       when the file is not a well-formed GGUF file
     * @throws UnsupportedModelException  for GGUF v1, big-endian files, newer
     *                                    versions, or tensor types this engine does not know
     * @throws IOException                when the file cannot be opened or mapped
     */
    public static GgufFile open(Path path) throws IOException {
        Arena arena = Arena.ofShared();
        try (FileChannel channel = FileChannel.open(path, StandardOpenOption.READ)) {
            MemorySegment mapping = channel.map(MapMode.READ_ONLY, 0, channel.size(), arena);
            GgufHeader header;
            try {
                header = GgufHeaderParser.parse(mapping);
            } catch (ModelFormatException e) {
                throw new ModelFormatException(path + ": " + e.getMessage(), e);
            } catch (UnsupportedModelException e) {
                throw new UnsupportedModelException(path + ": " + e.getMessage());
            }
            return new GgufFile(path, arena, mapping, header);
        } catch (Throwable t) {
            arena.close();
            throw t;
        }
    }

    public Path path() { return path; }

    /** The GGUF version: 2 or 3. */
    public int version() { return header.version(); }

    public GgufMetadata metadata() { return header.metadata(); }

    /** The tensor-info table in file order. */
    public List<GgufTensorInfo> tensorInfos() { return header.tensorInfos(); }

    public Optional<GgufTensorInfo> findTensor(String name) {
        return Optional.ofNullable(tensorsByName.get(name));
    }

    /** {@code general.alignment}, or 32 when the file does not set it. */
    public long alignment() { return header.alignment(); }

    /** Absolute offset of the data section; tensor offsets are relative to it. */
    public long dataOffset() { return header.dataOffset(); }

    public long fileSize() { return mapping.byteSize(); }

    /**
     * The tensor {@code name}: its shape outermost first (PyTorch order) and a read-only view of its
     * bytes in the mapping (valid until {@link #close()}).
     *
     * @throws ModelFormatException when the file has no such tensor
     * @throws IllegalStateException when the file is closed
     */
    public WeightTensor tensor(String name) {
        GgufTensorInfo info = tensorsByName.get(name);
        if (info == null) {
            throw new ModelFormatException(path + ": no tensor named '" + name + "'");
        }
        if (closed.get()) {
            throw new IllegalStateException(path + " is closed");
        }
        // Range checked by the parser against the file length.
        MemorySegment data = mapping.asSlice(header.dataOffset() + info.relativeOffset(), info.byteSize()).asReadOnly();
        return new WeightTensor(info.name(), info.type(), info.shape(), data);
    }

    @Override
    public Optional<WeightTensor> find(String name) {
        return tensorsByName.containsKey(name) ? Optional.of(tensor(name)) : Optional.empty();
    }

    @Override
    public Set<String> names() {
        return java.util.Collections.unmodifiableSet(tensorsByName.keySet());
    }

    @Override
    public String description() {
        return path.toString();
    }

    /** Unmaps the file; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            arena.close();
        }
    }

    @Override
    public String toString() {
        return "GgufFile[" + path + ", v" + version() + ", " + tensorInfos().size() + " tensors, "
                + metadata().keys().size() + " metadata keys]";
    }
}
