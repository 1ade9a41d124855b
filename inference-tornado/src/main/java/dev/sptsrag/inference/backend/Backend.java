package dev.sptsrag.inference.backend;

/**
 * The device SPI: memory, transfers and the kernels a decoder forward pass needs. A backend holds
 * no model logic; the decoder block in package {@code decoder} is written once against this interface and a
 * backend only decides <em>how</em> each op runs (CPU threads, PTX kernels, OpenCL kernels).
 *
 * <p>Conventions: activations are row-major float32 matrices, one row per token; weight matrices
 * are {@code [out, in]} (PyTorch order) and {@link #matmul} computes {@code out[r] = W · x[r]}.
 * Ops take an explicit row count so that buffers sized for the largest batch serve every batch.
 * Ops on one backend are issued from one thread; a backend may run them asynchronously, and
 * {@link #readRows} waits for the work before it returns.
 *
 * <p>The methods come in roles, each its own interface: {@link DeviceMemory} (buffers and transfers),
 * {@link DecoderOps} (what a decoder block is made of), {@link RowSubsetOps} (SPTS's token subsets and
 * LTP on the device), {@link SamplingOps} (token choice where the logits are) and {@link MemoryPlanning}
 * (bytes, asked before allocating).
 */
public interface Backend extends DeviceMemory, DecoderOps, RowSubsetOps, SamplingOps, MemoryPlanning, AutoCloseable {

    /** Short name, e.g. {@code cpu} or {@code cuda}. */
    String name();

    /** What it runs on, for logs and {@code info} (device name, threads, memory). */
    String description();

    /**
     * Whether this backend has {@code op}; where not, callers take the fallback {@link OptionalOp} names
     * (and the op itself refuses). A backend that has them all says so for each.
     */
    default boolean supports(OptionalOp op) {
        return false;
    }

    /** Releases every buffer this backend allocated. */
    @Override
    void close();
}
