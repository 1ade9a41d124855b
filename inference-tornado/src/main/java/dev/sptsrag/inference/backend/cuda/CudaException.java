package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.EngineException;

/**
 * A CUDA library call returned an error status: a {@code CUresult} from the driver, an
 * {@code nvrtcResult} from NVRTC or a {@code cublasStatus_t} from cuBLASLt, named by the library
 * itself, e.g. {@code cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory}.
 */
public class CudaException extends EngineException {

    private final String call;
    private final int code;
    private final String errorName;

    public CudaException(String call, int code, String errorName, String description) {
        super(call + " failed: " + errorName + " (" + code + ")"
                + (description == null || description.isEmpty() || description.equals(errorName) ? "" : ": " + description));
        this.call = call;
        this.code = code;
        this.errorName = errorName;
    }

    /** The native function that failed, e.g. {@code cuMemAlloc_v2}. */
    public String call() {
        return call;
    }

    /** The status code the library returned. */
    public int code() {
        return code;
    }

    /** The library's name for {@link #code()}, e.g. {@code CUDA_ERROR_OUT_OF_MEMORY}. */
    public String errorName() {
        return errorName;
    }
}
