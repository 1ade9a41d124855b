package dev.sptsrag.inference.spts.ltp;

import dev.sptsrag.inference.backend.Activations;
import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.DeviceMatrix;
import dev.sptsrag.inference.gguf.GgmlType;
import dev.sptsrag.inference.model.WeightTensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A {@link LowRankProxy} on a backend: its factors uploaded as weight matrices, so that scoring
 * thousands of candidate rows runs as four small GEMMs (six with the down projection) where the
 * activations already are, instead of copying every FFN input to the host. Only the row norms of
 * the last product come back, one float per row. Rows are scored in chunks of {@code chunkRows}, which
 * bounds the buffers it allocates (once, here).
 *
 * <p>On a BF16 backend (CUDA) the factors and GEMM inputs are rounded to BF16 like the model's own
 * weights: the scores then differ from the float32 host scores in the third digit, which is below
 * what matters for choosing the top tokens.
 */
public final class DeviceLowRankProxy {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final ProxyShape shape;
    private final Backend backend;
    private final int chunkRows;
    private final DeviceMatrix[][] matrices; // [layer][gateProjection, gateExpansion, upProjection, upExpansion, down]
    private final Activations input;
    private final Activations gateLow;
    private final Activations upLow;
    private final Activations gate;
    private final Activations up;
    private final Activations output;        // null for INTERMEDIATE
    private final float[] chunkNorms;

    /**
     * Uploads every layer of {@code proxy} to {@code backend}. The host copies the upload makes are
     * kept alive by the matrices that use them (a CPU backend reads float32 weights in place).
     */
    public DeviceLowRankProxy(LowRankProxy proxy, Backend backend, int chunkRows) {
        if (chunkRows < 1) {
            throw new IllegalArgumentException("chunk of " + chunkRows + " rows");
        }
        this.shape = proxy.shape();
        this.backend = backend;
        this.chunkRows = chunkRows;
        int r = shape.rank(), d = shape.channels(), h = shape.hidden();
        boolean down = shape.variant() == ProxyVariant.DOWN_PROJECTED;
        Arena arena = Arena.ofAuto();
        matrices = new DeviceMatrix[shape.layers()][];
        for (int l = 0; l < shape.layers(); l++) {
            LowRankProxy.Layer w = proxy.layer(l);
            String p = "ltp." + l + ".";
            matrices[l] = new DeviceMatrix[] {
                    upload(arena, p + "gate_projection", w.gateProjection(), r, h),
                    upload(arena, p + "gate_expansion", w.gateExpansion(), d, r),
                    upload(arena, p + "up_projection", w.upProjection(), r, h),
                    upload(arena, p + "up_expansion", w.upExpansion(), d, r),
                    down ? upload(arena, p + "down", w.down(), h, d) : null};
        }
        input = backend.allocateActivations("ltp input", chunkRows, h);
        gateLow = backend.allocateActivations("ltp gate low", chunkRows, r);
        upLow = backend.allocateActivations("ltp up low", chunkRows, r);
        gate = backend.allocateActivations("ltp gate", chunkRows, d);
        up = backend.allocateActivations("ltp up", chunkRows, d);
        output = down ? backend.allocateActivations("ltp output", chunkRows, h) : null;
        chunkNorms = new float[chunkRows];
    }

    public ProxyShape shape() { return shape; }

    /**
     * {@code out[i] = ‖f(x_i)‖} for rows {@code [0, count)} of {@code ffnInputs} (the FFN's input: the
     * rows after the layer's post-attention RMSNorm), with the proxy's own variant. Waits for the result.
     */
    public void norms(int layer, Activations ffnInputs, int count, float[] out) {
        if (layer < 0 || layer >= shape.layers()) {
            throw new IllegalArgumentException("layer " + layer + " of " + shape.layers());
        }
        if (count < 0 || count > ffnInputs.rows() || count > out.length || ffnInputs.cols() != shape.hidden()) {
            throw new IllegalArgumentException(count + " rows of " + ffnInputs.rows() + " × " + ffnInputs.cols()
                    + " inputs (hidden " + shape.hidden() + ") into " + out.length + " scores");
        }
        DeviceMatrix[] w = matrices[layer];
        Activations last = output != null ? output : gate;
        for (int start = 0; start < count; start += chunkRows) {
            int n = Math.min(chunkRows, count - start);
            backend.copyRows(ffnInputs, start, input, 0, n);
            backend.matmul(input, n, w[0], gateLow);
            backend.matmul(gateLow, n, w[1], gate);
            backend.matmul(input, n, w[2], upLow);
            backend.matmul(upLow, n, w[3], up);
            backend.swiglu(gate, up, n, gate);
            if (output != null) {
                backend.matmul(gate, n, w[4], output);
            }
            backend.rowNorms(last, n, chunkNorms);
            System.arraycopy(chunkNorms, 0, out, start, n);
        }
    }

    private DeviceMatrix upload(Arena arena, String name, float[] values, int rows, int cols) {
        MemorySegment segment = arena.allocate(4L * values.length, 64);
        MemorySegment.copy(values, 0, segment, F32, 0, values.length);
        return backend.uploadMatrix(new WeightTensor(name, GgmlType.F32, new long[] {rows, cols}, segment.asReadOnly()));
    }
}
