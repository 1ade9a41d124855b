package dev.sptsrag.inference.backend.cuda;

/**
 * Every kernel the backend launches: its {@code extern "C"} name, the number of arguments it takes and
 * the source file that defines it. The one list of kernels: {@link CudaKernels} loads them from it and
 * {@code KernelSourceCompilesTest} checks each is defined, with that many parameters, in its file.
 */
enum CudaKernel {
    CONVERT_F32_TO_BF16("convert_f32_to_bf16", 3, "elementwise.cu"),
    EMBED_ROWS("embed_rows", 5, "elementwise.cu"),
    RMS_NORM("rms_norm", 6, "elementwise.cu"),
    HEAD_RMS_NORM("head_rms_norm", 6, "elementwise.cu"),
    ADD_BIAS("add_bias", 4, "elementwise.cu"),
    ROPE("rope", 7, "elementwise.cu"),
    SWIGLU("swiglu", 4, "elementwise.cu"),
    ADD_ROWS("add_rows", 3, "elementwise.cu"),
    STORE_KV("store_kv", 14, "elementwise.cu"),
    ATTENTION_PREFILL_HD64("attention_prefill_hd64", 15, "attention.cu"),
    ATTENTION_PREFILL_HD128("attention_prefill_hd128", 15, "attention.cu"),
    ATTENTION_GENERIC("attention_generic", 16, "attention.cu"),
    ATTENTION_DECODE_PARTIAL("attention_decode_partial", 22, "attention.cu"),
    ATTENTION_DECODE_COMBINE("attention_decode_combine", 10, "attention.cu"),
    ARGMAX_ROW("argmax_row", 4, "sampling.cu"),
    TOP_K_ROW("top_k_row", 5, "sampling.cu"),
    GATHER_ROWS("gather_rows", 5, "spts.cu"),
    SCATTER_ADD_ROWS("scatter_add_rows", 5, "spts.cu"),
    PROBE_LOGITS("probe_logits", 11, "spts.cu"),
    PROBE_SOFTMAX("probe_softmax", 4, "spts.cu"),
    ROW_NORMS("row_norms", 4, "spts.cu"),
    GATHER_RMS_NORM("gather_rms_norm", 8, "spts.cu"),
    SWIGLU_HALVES("swiglu_halves", 4, "spts.cu"),
    ROW_NORMS_SCALED("row_norms_scaled", 5, "spts.cu"),
    SELECT_TOP_ROWS("select_top_rows", 7, "spts.cu");

    private final String symbol;
    private final int argumentCount;
    private final String sourceFile;

    CudaKernel(String symbol, int argumentCount, String sourceFile) {
        this.symbol = symbol;
        this.argumentCount = argumentCount;
        this.sourceFile = sourceFile;
    }

    /** The {@code extern "C"} function name in the module. */
    String symbol() { return symbol; }

    /** Parameters of the kernel, the size of its argument block. */
    int argumentCount() { return argumentCount; }

    /** The file of {@link CudaKernels#SOURCES} that defines it. */
    String sourceFile() { return sourceFile; }
}
