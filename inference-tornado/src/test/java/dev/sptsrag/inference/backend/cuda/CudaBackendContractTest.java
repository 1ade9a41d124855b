package dev.sptsrag.inference.backend.cuda;

import dev.sptsrag.inference.backend.Backend;
import dev.sptsrag.inference.backend.BackendContractTest;

/**
 * Every CUDA op against float64 on fresh random inputs. Float32 ops must be as exact as the CPU's;
 * ops on BF16 operands (weights, GEMM inputs, K/V, attention probabilities) within 2e-2 of the largest
 * output: BF16 keeps 8 significant bits (relative rounding ≤ 2^-9 ≈ 2e-3 per operand), and sums of
 * hundreds of rounded products, with the output near zero in places, stay an order below 2e-2.
 */
class CudaBackendContractTest extends BackendContractTest {
    @Override
    protected Backend createBackend() {
        return CudaTesting.open();
    }

    @Override
    protected double relativeTolerance(Precision precision) {
        return switch (precision) {
            case FLOAT32 -> 1e-5;
            case STORED_OPERANDS -> 2e-2;
        };
    }
}
