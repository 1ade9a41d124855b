package dev.sptsrag.inference.spts.ltp;

import dev.sptsrag.inference.backend.Activations;
import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.DeviceMatrix;
import dev.sptsrag.inference.tensor.GgmlType;
import dev.sptsrag.inference.tensor.WeightTensor;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;

/**
 * A {@link LowRankProxy} on a backend: its factors uploaded as weight matrices, so that scoring
 * thousands of candidate rows runs where the activations already are, as three GEMMs over all of them
 * at once (two without the down projection):
 *
 * <pre>
 *   low = x · [gateProjection; upProjection]ᵀ             one GEMM, N = 2r (both projections share x)
 *   mid = low · blockdiag(gateExpansion, upExpansion)ᵀ      one GEMM, N = 2·D_low ([gate | up] per row)
 *   act = silu(mid[:, :D_low]) ⊙ mid[:, D_low:]             swigluHalves
 *   out = act · downᵀ                                       (DOWN_PROJECTED only)
 *   score[i] = ‖out_i‖ · factor[i]                          rowNorms, kept on the backend
 * </pre>
 *
 * Fusing the pairs costs nothing in accuracy (the block-diagonal's zeros add exact zeros) and replaces
 * many small GEMMs, chunk copies and host round trips by a handful of launches per layer: at 32K
 * candidates the chunked version (six GEMMs per 4096 rows and the norms to the host) cost ~4 ms per layer.
 * The scores stay on the backend for {@link Backend#selectRows}. Buffers hold {@code rows} candidates
 * and are allocated once, here; {@link #bytes} plans them.
 *
 * <p>On a BF16 backend (CUDA) the factors and GEMM inputs are rounded to BF16 like the model's own
 * weights: the scores then differ from the float32 host scores in the third digit, which is below
 * what matters for choosing the top tokens.
 */
public final class DeviceLowRankProxy {
    private static final ValueLayout.OfFloat F32 = ValueLayout.JAVA_FLOAT_UNALIGNED.withOrder(ByteOrder.LITTLE_ENDIAN);

    private final ProxyShape shape;
    private final Backend backend;
    private final int rows;
    private final DeviceMatrix[] projections; // per layer [2r × hidden]
    private final DeviceMatrix[] expansions;  // per layer [2·D_low × 2r], block-diagonal
    private final DeviceMatrix[] downs;       // per layer [hidden × D_low], null for INTERMEDIATE
    private final Activations low;
    private final Activations mid;
    private final Activations act;
    private final Activations output;         // null for INTERMEDIATE
    private final Activations scores;         // [rows × 1], for norms()

    /**
     * Uploads every layer of {@code proxy} to {@code backend} and allocates buffers for up to
     * {@code rows} candidates. The host copies the upload makes are kept alive by the matrices that use
     * them (a CPU backend reads float32 weights in place).
     */
    public DeviceLowRankProxy(LowRankProxy proxy, Backend backend, int rows) {
        if (rows < 1) {
            throw new IllegalArgumentException("proxy buffers for " + rows + " rows");
        }
        this.shape = proxy.shape();
        this.backend = backend;
        this.rows = rows;
        int r = shape.rank(), d = shape.channels(), h = shape.hidden();
        boolean down = shape.variant() == ProxyVariant.DOWN_PROJECTED;
        Arena arena = Arena.ofAuto();
        projections = new DeviceMatrix[shape.layers()];
        expansions = new DeviceMatrix[shape.layers()];
        downs = new DeviceMatrix[shape.layers()];
        float[] projection = new float[2 * r * h];
        float[] expansion = new float[2 * d * 2 * r];
        for (int l = 0; l < shape.layers(); l++) {
            LowRankProxy.Layer w = proxy.layer(l);
            String p = "ltp." + l + ".";
            System.arraycopy(w.gateProjection(), 0, projection, 0, r * h);
            System.arraycopy(w.upProjection(), 0, projection, r * h, r * h);
            for (int c = 0; c < d; c++) {
                // Row c: [gateExpansion[c] | 0]; row d + c: [0 | upExpansion[c]].
                System.arraycopy(w.gateExpansion(), c * r, expansion, c * 2 * r, r);
                System.arraycopy(w.upExpansion(), c * r, expansion, (d + c) * 2 * r + r, r);
            }
            projections[l] = upload(arena, p + "projections", projection, 2 * r, h);
            expansions[l] = upload(arena, p + "expansions", expansion, 2 * d, 2 * r);
            downs[l] = down ? upload(arena, p + "down", w.down(), h, d) : null;
        }
        low = backend.allocateActivations("ltp low", rows, 2 * r);
        mid = backend.allocateActivations("ltp gate|up", rows, 2 * d);
        act = backend.allocateActivations("ltp activation", rows, d);
        output = down ? backend.allocateActivations("ltp output", rows, h) : null;
        scores = backend.allocateActivations("ltp scores", rows, 1);
    }

    /** Bytes a proxy of {@code shape} for {@code rows} candidates holds on {@code backend}: factors and buffers. */
    public static long bytes(ProxyShape shape, Backend backend, int rows) {
        int r = shape.rank(), d = shape.channels(), h = shape.hidden();
        boolean down = shape.variant() == ProxyVariant.DOWN_PROJECTED;
        long perLayer = backend.matrixBytes(2 * r, h) + backend.matrixBytes(2 * d, 2 * r)
                + (down ? backend.matrixBytes(h, d) : 0);
        return perLayer * shape.layers() + backend.activationBytes(rows, 2 * r) + backend.activationBytes(rows, 2 * d)
                + backend.activationBytes(rows, d) + (down ? backend.activationBytes(rows, h) : 0)
                + backend.activationBytes(rows, 1);
    }

    public ProxyShape shape() { return shape; }

    /** Candidates the buffers hold. */
    public int rows() { return rows; }

    /**
     * {@code out[i][0] = ‖f(x_i)‖ · factors[i]} for rows {@code [0, count)} of {@code ffnInputs} (the rows
     * after the layer's post-attention RMSNorm), with the proxy's own variant; {@code factors} null: 1.
     * The scores stay on the backend (nothing waits).
     */
    public void scores(int layer, Activations ffnInputs, int count, float[] factors, Activations out) {
        if (layer < 0 || layer >= shape.layers()) {
            throw new IllegalArgumentException("layer " + layer + " of " + shape.layers());
        }
        if (count < 0 || count > rows || count > ffnInputs.rows() || ffnInputs.cols() != shape.hidden()
                || count > out.rows() || out.cols() != 1 || (factors != null && factors.length < count)) {
            throw new IllegalArgumentException(count + " rows of " + ffnInputs.rows() + " × " + ffnInputs.cols()
                    + " inputs (hidden " + shape.hidden() + ", proxy buffers for " + rows + ") into " + out.rows()
                    + " × " + out.cols() + " scores");
        }
        if (count == 0) {
            return;
        }
        backend.matmul(ffnInputs, count, projections[layer], low);
        backend.matmul(low, count, expansions[layer], mid);
        backend.swigluHalves(mid, count, act);
        Activations last = act;
        if (output != null) {
            backend.matmul(act, count, downs[layer], output);
            last = output;
        }
        backend.rowNorms(last, count, factors, out);
    }

    /**
     * {@code out[i] = ‖f(x_i)‖} for rows {@code [0, count)} of {@code ffnInputs}, to the host (waits for
     * the result). For tests and diagnostics; the prefill keeps the scores on the backend.
     */
    public void norms(int layer, Activations ffnInputs, int count, float[] out) {
        if (count > out.length) {
            throw new IllegalArgumentException(count + " rows into " + out.length + " scores");
        }
        scores(layer, ffnInputs, count, null, scores);
        if (count > 0) {
            backend.readRows(scores, 0, count, out);
        }
    }

    private DeviceMatrix upload(Arena arena, String name, float[] values, int rows, int cols) {
        MemorySegment segment = arena.allocate(4L * rows * cols, 64);
        MemorySegment.copy(values, 0, segment, F32, 0, rows * cols);
        return backend.uploadMatrix(new WeightTensor(name, GgmlType.F32, new long[] {rows, cols}, segment.asReadOnly()));
    }
}
