package dev.sptsrag.inference.backend.cuda;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Native layouts and small pure helpers of the CUDA bindings, checked against the CUDA 13 headers. */
class CudaStructLayoutTest {

    @Test
    void heuristicResultMatchesCublasLtH() {
        // typedef struct { cublasLtMatmulAlgo_t algo; size_t workspaceSize; cublasStatus_t state;
        //                  float wavesCount; int reserved[4]; } cublasLtMatmulHeuristicResult_t;
        assertEquals(64, CublasLt.MATMUL_ALGO.byteSize());
        assertEquals(96, CublasLt.HEURISTIC_RESULT.byteSize());
        assertEquals(8, CublasLt.HEURISTIC_RESULT.byteAlignment());
        assertEquals(64, CublasLt.HEURISTIC_WORKSPACE_SIZE_OFFSET);
        assertEquals(72, CublasLt.HEURISTIC_STATE_OFFSET);
    }

    @Test
    void pointerAlignmentIsCappedAt256() {
        assertEquals(256, CublasLtGemm.alignment(0));
        assertEquals(256, CublasLtGemm.alignment(0x7f00_0000_0200L));
        assertEquals(256, CublasLtGemm.alignment(0x7f00_0000_0100L));
        assertEquals(16, CublasLtGemm.alignment(0x7f00_0000_0110L));
        assertEquals(2, CublasLtGemm.alignment(0x7f00_0000_0102L));
    }

    @Test
    void cudaExceptionNamesCallCodeAndDescription() {
        CudaException e = new CudaException("cuMemAlloc_v2", 2, "CUDA_ERROR_OUT_OF_MEMORY", "out of memory");
        assertEquals("cuMemAlloc_v2 failed: CUDA_ERROR_OUT_OF_MEMORY (2): out of memory", e.getMessage());
        assertEquals(2, e.code());
        assertEquals("cuMemAlloc_v2", e.call());
        assertEquals("CUDA_ERROR_OUT_OF_MEMORY", e.errorName());

        // NVRTC's error string is its name: said once.
        assertEquals("nvrtcCreateProgram failed: NVRTC_ERROR_INVALID_INPUT (3)",
                new CudaException("nvrtcCreateProgram", 3, "NVRTC_ERROR_INVALID_INPUT", "NVRTC_ERROR_INVALID_INPUT").getMessage());
    }
}
