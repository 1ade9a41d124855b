package dev.sptsrag.inference.backend.cuda;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_FLOAT;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

/**
 * cuBLASLt ({@code cublasLt.h}, CUDA 13): one handle, matmul descriptors, matrix layouts,
 * preferences, the algorithm heuristic and {@code cublasLtMatmul}. Each method checks the
 * {@code cublasStatus_t} and throws {@link CudaException}. {@link CublasLtGemm} builds the engine's
 * linear layer on these.
 *
 * <p>Device pointers are passed as {@code long}: the C parameters are {@code void*}, which the
 * x86-64 and AArch64 calling conventions pass exactly like a 64-bit integer, and a {@code long}
 * spares wrapping each pointer in a segment on the hot path. {@link #matmul} allocates nothing.
 * The handle belongs to the context current when it was opened; not thread-safe.
 */
public final class CublasLt implements AutoCloseable {

    // cublasStatus_t (cublas_api.h)
    public static final int CUBLAS_STATUS_SUCCESS = 0;
    public static final int CUBLAS_STATUS_NOT_SUPPORTED = 15;

    // cudaDataType_t (library_types.h)
    public static final int CUDA_R_32F = 0;
    public static final int CUDA_R_16F = 2;
    public static final int CUDA_R_16BF = 14;

    // cublasComputeType_t (cublas_api.h)
    public static final int CUBLAS_COMPUTE_32F = 68;

    // cublasOperation_t (cublas_api.h)
    public static final int CUBLAS_OP_N = 0;
    public static final int CUBLAS_OP_T = 1;

    // cublasLtMatmulDescAttributes_t (cublasLt.h); TRANSA/TRANSB take an int32_t
    public static final int CUBLASLT_MATMUL_DESC_TRANSA = 3;
    public static final int CUBLASLT_MATMUL_DESC_TRANSB = 4;

    // cublasLtMatmulPreferenceAttributes_t (cublasLt.h); workspace is uint64_t, alignments uint32_t
    public static final int CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES = 1;
    public static final int CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES = 5;
    public static final int CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES = 6;
    public static final int CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES = 7;
    public static final int CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES = 8;

    /** {@code cublasLtMatmulAlgo_t}: 8 opaque {@code uint64_t}. */
    public static final MemoryLayout MATMUL_ALGO = MemoryLayout.sequenceLayout(8, JAVA_LONG);

    /** {@code cublasLtMatmulHeuristicResult_t}: 96 bytes. */
    public static final StructLayout HEURISTIC_RESULT = MemoryLayout.structLayout(
            MATMUL_ALGO.withName("algo"),
            JAVA_LONG.withName("workspaceSize"),
            JAVA_INT.withName("state"),
            JAVA_FLOAT.withName("wavesCount"),
            MemoryLayout.sequenceLayout(4, JAVA_INT).withName("reserved"));

    static final long HEURISTIC_WORKSPACE_SIZE_OFFSET = HEURISTIC_RESULT.byteOffset(MemoryLayout.PathElement.groupElement("workspaceSize"));
    static final long HEURISTIC_STATE_OFFSET = HEURISTIC_RESULT.byteOffset(MemoryLayout.PathElement.groupElement("state"));

    private final NativeLibrary library;
    private final MemorySegment handle;
    private final MethodHandle cublasLtDestroy;
    private final MethodHandle cublasLtGetVersion;
    private final MethodHandle cublasLtGetStatusName;
    private final MethodHandle cublasLtGetStatusString;
    private final MethodHandle cublasLtMatmulDescCreate;
    private final MethodHandle cublasLtMatmulDescDestroy;
    private final MethodHandle cublasLtMatmulDescSetAttribute;
    private final MethodHandle cublasLtMatrixLayoutCreate;
    private final MethodHandle cublasLtMatrixLayoutDestroy;
    private final MethodHandle cublasLtMatmulPreferenceCreate;
    private final MethodHandle cublasLtMatmulPreferenceDestroy;
    private final MethodHandle cublasLtMatmulPreferenceSetAttribute;
    private final MethodHandle cublasLtMatmulAlgoGetHeuristic;
    private final MethodHandle cublasLtMatmul;
    private boolean closed;

    private CublasLt(NativeLibrary library) {
        this.library = library;
        Linker linker = Linker.nativeLinker();
        MethodHandle create = link(linker, "cublasLtCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        cublasLtDestroy = link(linker, "cublasLtDestroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        cublasLtGetVersion = link(linker, "cublasLtGetVersion", FunctionDescriptor.of(JAVA_LONG));
        cublasLtGetStatusName = link(linker, "cublasLtGetStatusName", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        cublasLtGetStatusString = link(linker, "cublasLtGetStatusString", FunctionDescriptor.of(ADDRESS, JAVA_INT));
        cublasLtMatmulDescCreate = link(linker, "cublasLtMatmulDescCreate",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT));
        cublasLtMatmulDescDestroy = link(linker, "cublasLtMatmulDescDestroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        cublasLtMatmulDescSetAttribute = link(linker, "cublasLtMatmulDescSetAttribute",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));
        cublasLtMatrixLayoutCreate = link(linker, "cublasLtMatrixLayoutCreate",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_LONG, JAVA_LONG, JAVA_LONG));
        cublasLtMatrixLayoutDestroy = link(linker, "cublasLtMatrixLayoutDestroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        cublasLtMatmulPreferenceCreate = link(linker, "cublasLtMatmulPreferenceCreate", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        cublasLtMatmulPreferenceDestroy = link(linker, "cublasLtMatmulPreferenceDestroy", FunctionDescriptor.of(JAVA_INT, ADDRESS));
        cublasLtMatmulPreferenceSetAttribute = link(linker, "cublasLtMatmulPreferenceSetAttribute",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, ADDRESS, JAVA_LONG));
        cublasLtMatmulAlgoGetHeuristic = link(linker, "cublasLtMatmulAlgoGetHeuristic",
                FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS, ADDRESS,
                        JAVA_INT, ADDRESS, ADDRESS));
        cublasLtMatmul = link(linker, "cublasLtMatmul", FunctionDescriptor.of(JAVA_INT,
                ADDRESS, ADDRESS,            // handle, computeDesc
                ADDRESS,                     // alpha (host)
                JAVA_LONG, ADDRESS,          // A, Adesc
                JAVA_LONG, ADDRESS,          // B, Bdesc
                ADDRESS,                     // beta (host)
                JAVA_LONG, ADDRESS,          // C, Cdesc
                JAVA_LONG, ADDRESS,          // D, Ddesc
                ADDRESS,                     // algo
                JAVA_LONG, JAVA_LONG,        // workspace, workspaceSizeInBytes
                ADDRESS));                   // stream
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) create.invokeExact(out), "cublasLtCreate");
            handle = out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw CudaDriver.rethrow(t);
        }
    }

    /**
     * Opens cuBLASLt and creates a handle. Make the CUDA context current first.
     *
     * @throws dev.sptsrag.inference.BackendUnavailableException when libcublasLt cannot be found or opened
     */
    public static CublasLt open(CudaLibraries libraries) {
        return new CublasLt(libraries.cublasLt());
    }

    public NativeLibrary library() {
        return library;
    }

    /** {@code cublasLtGetVersion()}: major * 10000 + minor * 100 + patch, e.g. 130100. */
    public long version() {
        try {
            return (long) cublasLtGetVersion.invokeExact();
        } catch (Throwable t) {
            throw CudaDriver.rethrow(t);
        }
    }

    public MemorySegment handle() {
        return handle;
    }

    // ---- descriptors --------------------------------------------------------------------------

    public MemorySegment matmulDescCreate(int computeType, int scaleType) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) cublasLtMatmulDescCreate.invokeExact(out, computeType, scaleType), "cublasLtMatmulDescCreate");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw CudaDriver.rethrow(t);
        }
    }

    /** Sets an {@code int32_t} attribute of a matmul descriptor (e.g. {@link #CUBLASLT_MATMUL_DESC_TRANSA}). */
    public void matmulDescSetInt(MemorySegment desc, int attribute, int value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocateFrom(JAVA_INT, value);
            check((int) cublasLtMatmulDescSetAttribute.invokeExact(desc, attribute, buf, JAVA_INT.byteSize()),
                    "cublasLtMatmulDescSetAttribute(" + attribute + ")");
        } catch (Throwable t) {
            throw CudaDriver.rethrow(t);
        }
    }

    public void matmulDescDestroy(MemorySegment desc) {
        try {
            check((int) cublasLtMatmulDescDestroy.invokeExact(desc), "cublasLtMatmulDescDestroy");
        } catch (Throwable t) {
            throw CudaDriver.rethrow(t);
        }
    }

    /** A column-major {@code rows × cols} layout of {@code cudaDataType} {@code type} with leading dimension {@code ld}. */
    public MemorySegment matrixLayoutCreate(int type, long rows, long cols, long ld) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) cublasLtMatrixLayoutCreate.invokeExact(out, type, rows, cols, ld), "cublasLtMatrixLayoutCreate");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw CudaDriver.rethrow(t);
        }
    }

    public void matrixLayoutDestroy(MemorySegment layout) {
        try {
            check((int) cublasLtMatrixLayoutDestroy.invokeExact(layout), "cublasLtMatrixLayoutDestroy");
        } catch (Throwable t) {
            throw CudaDriver.rethrow(t);
        }
    }

    public MemorySegment preferenceCreate() {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment out = a.allocate(ADDRESS);
            check((int) cublasLtMatmulPreferenceCreate.invokeExact(out), "cublasLtMatmulPreferenceCreate");
            return out.get(ADDRESS, 0);
        } catch (Throwable t) {
            throw CudaDriver.rethrow(t);
        }
    }

    /** Sets a {@code uint64_t} preference (e.g. {@link #CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES}). */
    public void preferenceSetLong(MemorySegment preference, int attribute, long value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocateFrom(JAVA_LONG, value);
            check((int) cublasLtMatmulPreferenceSetAttribute.invokeExact(preference, attribute, buf, JAVA_LONG.byteSize()),
                    "cublasLtMatmulPreferenceSetAttribute(" + attribute + ")");
        } catch (Throwable t) {
            throw CudaDriver.rethrow(t);
        }
    }

    /** Sets a {@code uint32_t} preference (e.g. {@link #CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES}). */
    public void preferenceSetInt(MemorySegment preference, int attribute, int value) {
        try (Arena a = Arena.ofConfined()) {
            MemorySegment buf = a.allocateFrom(JAVA_INT, value);
            check((int) cublasLtMatmulPreferenceSetAttribute.invokeExact(preference, attribute, buf, JAVA_INT.byteSize()),
                    "cublasLtMatmulPreferenceSetAttribute(" + attribute + ")");
        } catch (Throwable t) {
            throw CudaDriver.rethrow(t);
        }
    }

    public void preferenceDestroy(MemorySegment preference) {
        try {
            check((int) cublasLtMatmulPreferenceDestroy.invokeExact(preference), "cublasLtMatmulPreferenceDestroy");
        } catch (Throwable t) {
            throw CudaDriver.rethrow(t);
        }
    }

    /**
     * Asks for up to {@code requested} algorithms, written to {@code results} (an array of
     * {@link #HEURISTIC_RESULT}); returns how many were found. C may alias D, so pass the same
     * layout for both when it does.
     */
    public int algoGetHeuristic(MemorySegment desc, MemorySegment aLayout, MemorySegment bLayout, MemorySegment cLayout,
                                MemorySegment dLayout, MemorySegment preference, int requested, MemorySegment results) {
        if (results.byteSize() < requested * HEURISTIC_RESULT.byteSize()) {
            throw new IndexOutOfBoundsException("room for fewer than " + requested + " heuristic results");
        }
        try (Arena a = Arena.ofConfined()) {
            MemorySegment count = a.allocate(JAVA_INT);
            check((int) cublasLtMatmulAlgoGetHeuristic.invokeExact(handle, desc, aLayout, bLayout, cLayout, dLayout,
                    preference, requested, results, count), "cublasLtMatmulAlgoGetHeuristic");
            return count.get(JAVA_INT, 0);
        } catch (Throwable t) {
            throw CudaDriver.rethrow(t);
        }
    }

    // ---- the product --------------------------------------------------------------------------

    /**
     * {@code D = alpha · op(A) · op(B) + beta · C}, queued on {@code stream}. {@code alpha} and
     * {@code beta} are host values of the descriptor's scale type; {@code algo} a
     * {@link #MATMUL_ALGO} from {@link #algoGetHeuristic}.
     */
    public void matmul(MemorySegment desc, MemorySegment alpha, long a, MemorySegment aLayout, long b,
                       MemorySegment bLayout, MemorySegment beta, long c, MemorySegment cLayout, long d,
                       MemorySegment dLayout, MemorySegment algo, long workspace, long workspaceBytes,
                       MemorySegment stream) {
        try {
            int r = (int) cublasLtMatmul.invokeExact(handle, desc, alpha, a, aLayout, b, bLayout, beta, c, cLayout,
                    d, dLayout, algo, workspace, workspaceBytes, stream);
            if (r != CUBLAS_STATUS_SUCCESS) {
                throw error(r, "cublasLtMatmul");
            }
        } catch (Throwable t) {
            throw CudaDriver.rethrow(t);
        }
    }

    // ---- status -------------------------------------------------------------------------------

    /** cuBLAS's name for a status, e.g. {@code CUBLAS_STATUS_NOT_SUPPORTED}. */
    public String statusName(int status) {
        return text(cublasLtGetStatusName, status, "cublasStatus_t " + status);
    }

    /** cuBLAS's description of a status. */
    public String statusString(int status) {
        return text(cublasLtGetStatusString, status, "");
    }

    public CudaException error(int status, String call) {
        return new CudaException(call, status, statusName(status), statusString(status));
    }

    /** Destroys the handle. */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            check((int) cublasLtDestroy.invokeExact(handle), "cublasLtDestroy");
        } catch (Throwable t) {
            throw CudaDriver.rethrow(t);
        }
    }

    private static String text(MethodHandle handle, int status, String fallback) {
        try {
            MemorySegment text = (MemorySegment) handle.invokeExact(status);
            return text.address() == 0 ? fallback : text.reinterpret(Long.MAX_VALUE).getString(0);
        } catch (Throwable t) {
            throw CudaDriver.rethrow(t);
        }
    }

    private void check(int status, String call) {
        if (status != CUBLAS_STATUS_SUCCESS) {
            throw error(status, call);
        }
    }

    private MethodHandle link(Linker linker, String symbol, FunctionDescriptor descriptor) {
        return linker.downcallHandle(library.symbol(symbol), descriptor);
    }
}
