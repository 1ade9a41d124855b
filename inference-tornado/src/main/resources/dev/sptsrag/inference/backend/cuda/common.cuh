// CUDA device kernels of the inference engine (Llama / Qwen2 / Qwen3 / Mistral decoder), split by
// topic: common.cuh (constants and helpers every kernel uses), elementwise.cu (conversions, norms,
// RoPE, SwiGLU, KV store), attention.cu (reference, decode and tensor-core prefill attention),
// sampling.cu (argmax, top-k), spts.cu (token subsets: gather/scatter, the probe, LTP selection).
//
// The backend joins the files in that order into one source (CudaKernels.SOURCES), compiled at run
// time by NVRTC with
//   --gpu-architecture=compute_90 --std=c++17 -default-device
// so the files include nothing and not each other: bf16 is carried as `unsigned short`, tensor cores
// are reached through inline PTX (mma.sync m16n8k16 bf16, ldmatrix, cp.async). The joined source also
// compiles unchanged with nvcc (tools/gpu/kernel_selftest.cu includes the files in the same order).
//
// Conventions: matrices are row-major; activations are float32; positions int32;
// element counts and offsets that can exceed 2^31 are `long long`. The KV cache is paged (kv_slot below).
// Every helper carries an explicit __device__ so that nvcc (without -default-device)
// accepts the file as well.

#define KRN_INT_MAX 2147483647
#define KRN_INT_MIN (-2147483647 - 1)
#define KRN_LOG2E 1.4426950408889634f
// Minimum resident blocks per SM requested for the prefill kernels (register caps).
#ifndef KRN_PREFILL128_MINBLOCKS
#define KRN_PREFILL128_MINBLOCKS 2
#endif
#ifndef KRN_PREFILL64_MINBLOCKS
#define KRN_PREFILL64_MINBLOCKS 4
#endif

// ----------------------------------------------------------------------------------
// Scalar helpers
// ----------------------------------------------------------------------------------

__device__ __forceinline__ float krn_neg_inf() { return __int_as_float(0xff800000); }

// bf16 (as raw bits) -> float: exact.
__device__ __forceinline__ float bf16_to_f32(unsigned short h) {
    return __uint_as_float(((unsigned int)h) << 16);
}

// float -> bf16 bits, round to nearest even; NaN stays NaN (quietened), +-inf stays inf.
__device__ __forceinline__ unsigned short f32_to_bf16(float f) {
    unsigned int u = __float_as_uint(f);
    if ((u & 0x7fffffffu) > 0x7f800000u) {
        return (unsigned short)((u >> 16) | 0x0040u);
    }
    u += 0x7fffu + ((u >> 16) & 1u);
    return (unsigned short)(u >> 16);
}

// Two floats -> packed bf16x2 (lo in bits 0..15), RNE, via the hardware cvt.
__device__ __forceinline__ unsigned int pack_bf16x2(float lo, float hi) {
    unsigned int r;
    asm("cvt.rn.bf16x2.f32 %0, %1, %2;" : "=r"(r) : "f"(hi), "f"(lo));
    return r;
}

__device__ __forceinline__ float warp_sum(float v) {
    for (int o = 16; o > 0; o >>= 1) v += __shfl_xor_sync(0xffffffffu, v, o);
    return v;
}

__device__ __forceinline__ float warp_max(float v) {
    for (int o = 16; o > 0; o >>= 1) v = fmaxf(v, __shfl_xor_sync(0xffffffffu, v, o));
    return v;
}

// Block-wide sum for any blockDim.x that is a multiple of 32 (<= 1024).
// `sh` must hold 32 floats. Every thread gets the result; `sh` is reusable afterwards.
__device__ __forceinline__ float block_sum(float v, float* sh) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    if (lane == 0) sh[warp] = v;
    __syncthreads();
    float r = 0.0f;
    for (int i = 0; i < nw; ++i) r += sh[i];
    __syncthreads();
    return r;
}

__device__ __forceinline__ float block_max(float v, float* sh) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = (blockDim.x + 31) >> 5;
    v = warp_max(v);
    if (lane == 0) sh[warp] = v;
    __syncthreads();
    float r = sh[0];
    for (int i = 1; i < nw; ++i) r = fmaxf(r, sh[i]);
    __syncthreads();
    return r;
}

// ----------------------------------------------------------------------------------
// Paged KV cache (KvPages): logical slot j of a sequence lives in pool slot
// table[(j >> shift) * layers] * 2^shift + j % 2^shift, where `table` points at the sequence's entry
// for block 0 in the layer (tables + s * max_blocks * layers + layer): one block's entries of all
// layers are adjacent. Pool slots fit an int (the host checks blocks * block size).
// ----------------------------------------------------------------------------------

__device__ __forceinline__ int kv_slot(const int* table, int layers, int shift, int j) {
    return (table[(j >> shift) * layers] << shift) | (j & ((1 << shift) - 1));
}

__device__ __forceinline__ long long grid_stride_start() {
    return (long long)blockIdx.x * blockDim.x + threadIdx.x;
}

__device__ __forceinline__ long long grid_stride_step() {
    return (long long)gridDim.x * blockDim.x;
}

