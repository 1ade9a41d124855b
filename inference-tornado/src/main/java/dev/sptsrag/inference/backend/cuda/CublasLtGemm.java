package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.EngineException;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.util.HashMap;
import java.util.Map;

import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;

/**
 * The engine's linear layer on cuBLASLt: {@code Y = X · Wᵀ} with weights {@code W} row-major
 * {@code [out, in]} BF16, activations {@code X} row-major {@code [rows, in]} BF16 and output
 * {@code Y} row-major {@code [rows, out]} in FP32 or BF16; FP32 accumulation and scaling.
 *
 * <p>cuBLASLt is column-major, so this computes {@code Yᵀ (out × rows) = op(A) · B}: {@code A} is
 * W read column-major as {@code in × out} ({@code lda = in}) with {@code transa = T}; {@code B} is
 * X read column-major as {@code in × rows} ({@code ldb = in}); {@code D} is Y read column-major as
 * {@code out × rows} ({@code ldd = out}); so {@code m = out, n = rows, k = in}.
 *
 * <p>The layouts and the heuristic's algorithm are made once per shape, output type, workspace size
 * and pointer alignment, then reused: a repeated shape (every decode step) allocates nothing and
 * asks no heuristic. Not thread-safe.
 */
public final class CublasLtGemm implements AutoCloseable {

    /** Workspace to give {@link #matmul}: 32 MiB lets cuBLASLt pick its fastest Hopper kernels. */
    public static final long RECOMMENDED_WORKSPACE_BYTES = 32L << 20;

    /** The element type of {@code Y}. */
    public enum OutType {
        FLOAT32(CublasLt.CUDA_R_32F),
        BFLOAT16(CublasLt.CUDA_R_16BF);

        final int cudaDataType;

        OutType(int cudaDataType) {
            this.cudaDataType = cudaDataType;
        }
    }

    /** cuBLASLt assumes 256-byte aligned operands unless told otherwise; so does cudaMalloc. */
    private static final int MAX_ALIGNMENT = 256;

    private final CublasLt lt;
    private final Arena arena = Arena.ofShared();
    private final MemorySegment desc;
    private final MemorySegment alpha;
    private final MemorySegment beta;
    private final MemorySegment heuristicResult;
    private final Map<Shape, Plan> plans = new HashMap<>();
    private final Shape probe = new Shape();
    private boolean closed;

    /** Layouts and algorithm for one shape; C shares D's layout (beta is 0). */
    private record Plan(MemorySegment aLayout, MemorySegment bLayout, MemorySegment dLayout, MemorySegment algo) {
    }

    /** A plan's key; {@link #probe} is refilled per call so that lookups allocate nothing. */
    private static final class Shape {
        int rows;
        int in;
        int out;
        OutType type;
        long workspaceBytes;
        int alignW;
        int alignX;
        int alignY;

        Shape copy() {
            Shape s = new Shape();
            s.rows = rows;
            s.in = in;
            s.out = out;
            s.type = type;
            s.workspaceBytes = workspaceBytes;
            s.alignW = alignW;
            s.alignX = alignX;
            s.alignY = alignY;
            return s;
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof Shape s && rows == s.rows && in == s.in && out == s.out && type == s.type
                    && workspaceBytes == s.workspaceBytes && alignW == s.alignW && alignX == s.alignX
                    && alignY == s.alignY;
        }

        @Override
        public int hashCode() {
            int h = rows;
            h = 31 * h + in;
            h = 31 * h + out;
            h = 31 * h + type.ordinal();
            h = 31 * h + Long.hashCode(workspaceBytes);
            h = 31 * h + alignW;
            h = 31 * h + alignX;
            return 31 * h + alignY;
        }

        @Override
        public String toString() {
            return "m=" + out + " n=" + rows + " k=" + in + " (rows=" + rows + ", in=" + in + ", out=" + out
                    + "), BF16 x BF16 -> " + type + ", workspace " + workspaceBytes + " bytes, alignment W/X/Y "
                    + alignW + "/" + alignX + "/" + alignY + " bytes";
        }
    }

    public CublasLtGemm(CublasLt lt) {
        this.lt = lt;
        this.alpha = arena.allocateFrom(JAVA_FLOAT, 1f);
        this.beta = arena.allocateFrom(JAVA_FLOAT, 0f);
        this.heuristicResult = arena.allocate(CublasLt.HEURISTIC_RESULT);
        this.desc = lt.matmulDescCreate(CublasLt.CUBLAS_COMPUTE_32F, CublasLt.CUDA_R_32F);
        lt.matmulDescSetInt(desc, CublasLt.CUBLASLT_MATMUL_DESC_TRANSA, CublasLt.CUBLAS_OP_T);
        lt.matmulDescSetInt(desc, CublasLt.CUBLASLT_MATMUL_DESC_TRANSB, CublasLt.CUBLAS_OP_N);
    }

    /**
     * Queues {@code Y = X · Wᵀ} on {@code stream}. {@code wPtr}, {@code xPtr}, {@code yPtr} are
     * device pointers; {@code workspace} a device buffer of {@code workspaceBytes}
     * ({@link #RECOMMENDED_WORKSPACE_BYTES} recommended) that no other stream uses meanwhile.
     *
     * @throws EngineException when cuBLASLt has no algorithm for this shape
     */
    public void matmul(long wPtr, long xPtr, long yPtr, int rows, int in, int out, OutType t,
                       long workspace, long workspaceBytes, MemorySegment stream) {
        if (rows <= 0 || in <= 0 || out <= 0) {
            throw new IllegalArgumentException("GEMM sizes must be positive: rows=" + rows + " in=" + in + " out=" + out);
        }
        probe.rows = rows;
        probe.in = in;
        probe.out = out;
        probe.type = t;
        probe.workspaceBytes = workspaceBytes;
        probe.alignW = alignment(wPtr);
        probe.alignX = alignment(xPtr);
        probe.alignY = alignment(yPtr);
        Plan plan = plans.get(probe);
        if (plan == null) {
            plan = createPlan(probe.copy());
        }
        lt.matmul(desc, alpha, wPtr, plan.aLayout, xPtr, plan.bLayout, beta, yPtr, plan.dLayout, yPtr, plan.dLayout,
                plan.algo, workspace, workspaceBytes, stream);
    }

    /** Shapes planned so far. */
    public int cachedPlans() {
        return plans.size();
    }

    private Plan createPlan(Shape shape) {
        MemorySegment aLayout = lt.matrixLayoutCreate(CublasLt.CUDA_R_16BF, shape.in, shape.out, shape.in);
        MemorySegment bLayout = lt.matrixLayoutCreate(CublasLt.CUDA_R_16BF, shape.in, shape.rows, shape.in);
        MemorySegment dLayout = lt.matrixLayoutCreate(shape.type.cudaDataType, shape.out, shape.rows, shape.out);
        MemorySegment preference = lt.preferenceCreate();
        int found;
        try {
            lt.preferenceSetLong(preference, CublasLt.CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, shape.workspaceBytes);
            lt.preferenceSetInt(preference, CublasLt.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, shape.alignW);
            lt.preferenceSetInt(preference, CublasLt.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, shape.alignX);
            lt.preferenceSetInt(preference, CublasLt.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, shape.alignY);
            lt.preferenceSetInt(preference, CublasLt.CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, shape.alignY);
            found = lt.algoGetHeuristic(desc, aLayout, bLayout, dLayout, dLayout, preference, 1, heuristicResult);
        } catch (CudaException e) {
            destroyLayouts(aLayout, bLayout, dLayout);
            if (e.code() == CublasLt.CUBLAS_STATUS_NOT_SUPPORTED) {
                throw new EngineException("cuBLASLt has no algorithm for " + shape, e);
            }
            throw e;
        } finally {
            lt.preferenceDestroy(preference);
        }
        if (found < 1 || heuristicResult.get(JAVA_INT, CublasLt.HEURISTIC_STATE_OFFSET)
                != CublasLt.CUBLAS_STATUS_SUCCESS) {
            destroyLayouts(aLayout, bLayout, dLayout);
            throw new EngineException("cuBLASLt has no algorithm for " + shape);
        }
        MemorySegment algo = arena.allocate(CublasLt.MATMUL_ALGO);
        algo.copyFrom(heuristicResult.asSlice(0, CublasLt.MATMUL_ALGO.byteSize()));
        Plan plan = new Plan(aLayout, bLayout, dLayout, algo);
        plans.put(shape, plan);
        return plan;
    }

    private void destroyLayouts(MemorySegment... layouts) {
        for (MemorySegment layout : layouts) {
            lt.matrixLayoutDestroy(layout);
        }
    }

    /** The largest power of two up to 256 that divides {@code pointer}. */
    static int alignment(long pointer) {
        return pointer == 0 ? MAX_ALIGNMENT : (int) Math.min(MAX_ALIGNMENT, Long.lowestOneBit(pointer));
    }

    /** Destroys the cached layouts and the descriptor; the {@link CublasLt} handle stays open. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        for (Plan plan : plans.values()) {
            destroyLayouts(plan.aLayout, plan.bLayout, plan.dLayout);
        }
        plans.clear();
        lt.matmulDescDestroy(desc);
        arena.close();
    }
}
