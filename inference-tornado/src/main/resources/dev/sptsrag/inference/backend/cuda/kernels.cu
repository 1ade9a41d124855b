// CUDA device kernels of the inference engine (Llama / Qwen2 / Qwen3 / Mistral decoder).
//
// Compiled at run time by NVRTC with
//   --gpu-architecture=compute_90 --std=c++17 -default-device
// so this file includes nothing: bf16 is carried as `unsigned short`, tensor cores
// are reached through inline PTX (mma.sync m16n8k16 bf16, ldmatrix, cp.async).
// It also compiles unchanged with nvcc (tools/gpu/kernel_selftest.cu includes it).
//
// Conventions: matrices are row-major; activations are float32; positions int32;
// element counts and offsets that can exceed 2^31 are `long long`.
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

__device__ __forceinline__ long long grid_stride_start() {
    return (long long)blockIdx.x * blockDim.x + threadIdx.x;
}

__device__ __forceinline__ long long grid_stride_step() {
    return (long long)gridDim.x * blockDim.x;
}

// ----------------------------------------------------------------------------------
// Element-wise kernels. All are grid-stride loops: any grid/block works
// (suggested: block 256, grid min(ceil(n/256), 65535)). No shared memory.
// ----------------------------------------------------------------------------------

// dst[i] = bf16(src[i]) (RNE). Launch: grid-stride, block 256, no shared memory.
extern "C" __global__ void convert_f32_to_bf16(const float* src, unsigned short* dst, long long n) {
    for (long long i = grid_stride_start(); i < n; i += grid_stride_step()) dst[i] = f32_to_bf16(src[i]);
}

// dst[i] = float(src[i]). Launch: grid-stride, block 256, no shared memory.
extern "C" __global__ void convert_bf16_to_f32(const unsigned short* src, float* dst, long long n) {
    for (long long i = grid_stride_start(); i < n; i += grid_stride_step()) dst[i] = bf16_to_f32(src[i]);
}

// out[r][c] = float(table[tokens[r]][c]); token ids are validated by the host.
// Launch: grid-stride over rows*cols, block 256, no shared memory.
extern "C" __global__ void embed_rows(const unsigned short* table, const int* tokens, float* out, int rows, int cols) {
    const long long n = (long long)rows * cols;
    for (long long i = grid_stride_start(); i < n; i += grid_stride_step()) {
        const long long r = i / cols;
        const long long c = i - r * cols;
        out[i] = bf16_to_f32(table[(long long)tokens[r] * cols + c]);
    }
}

// Shared body of rms_norm / rms_norm_bf16: returns 1/sqrt(mean(x^2)+eps) of row `xr`.
__device__ __forceinline__ float rms_inv(const float* xr, int cols, float eps) {
    __shared__ float sh[32];
    float s = 0.0f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) {
        const float v = xr[c];
        s = fmaf(v, v, s);
    }
    s = block_sum(s, sh);
    return 1.0f / sqrtf(s / (float)cols + eps);
}

// out[r] = x[r] / sqrt(mean(x[r]^2) + eps) * weight; out may alias x.
// Launch: grid = rows, block = 256 (any multiple of 32 up to 1024), static shared 128 B.
extern "C" __global__ void rms_norm(const float* x, const float* weight, float* out, int rows, int cols, float eps) {
    const int r = blockIdx.x;
    if (r >= rows) return;
    const float* xr = x + (long long)r * cols;
    float* orow = out + (long long)r * cols;
    const float inv = rms_inv(xr, cols, eps);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) orow[c] = xr[c] * inv * weight[c];
}

// Same as rms_norm but writes bf16 (feeds GEMMs directly).
// Launch: grid = rows, block = 256 (any multiple of 32 up to 1024), static shared 128 B.
extern "C" __global__ void rms_norm_bf16(const float* x, const float* weight, unsigned short* out, int rows, int cols, float eps) {
    const int r = blockIdx.x;
    if (r >= rows) return;
    const float* xr = x + (long long)r * cols;
    unsigned short* orow = out + (long long)r * cols;
    const float inv = rms_inv(xr, cols, eps);
    for (int c = threadIdx.x; c < cols; c += blockDim.x) orow[c] = f32_to_bf16(xr[c] * inv * weight[c]);
}

// In place, each head of each row: x[r][h*width + c] = x[r][h*width + c] / rms(head) * weight[c], one
// weight of head width shared by every head (Qwen3's query/key norm). A head is one warp's work: heads
// are short (64..256), so a block per head would leave most of its threads idle. The arithmetic is
// rms_norm's on a row one head wide (fmaf squares, sum / width, 1/sqrtf(mean + eps), x * inv * w).
// Launch: grid = ceil(rows * heads / 4), block = 128 (4 warps, one head each), no shared memory.
extern "C" __global__ void head_rms_norm(float* x, const float* weight, int rows, int heads, int width, float eps) {
    const long long head = (long long)blockIdx.x * (blockDim.x >> 5) + (threadIdx.x >> 5);
    if (head >= (long long)rows * heads) return; // the whole warp leaves together: warp_sum stays full
    const int lane = threadIdx.x & 31;
    float* xh = x + head * width; // rows are contiguous: head k of row r is the (r * heads + k)-th head
    float s = 0.0f;
    for (int c = lane; c < width; c += 32) {
        const float v = xh[c];
        s = fmaf(v, v, s);
    }
    s = warp_sum(s);
    const float inv = 1.0f / sqrtf(s / (float)width + eps);
    for (int c = lane; c < width; c += 32) xh[c] = xh[c] * inv * weight[c];
}

// x[r][c] += bias[c]. Launch: grid-stride over rows*cols, block 256, no shared memory.
extern "C" __global__ void add_bias(float* x, const float* bias, int rows, int cols) {
    const long long n = (long long)rows * cols;
    for (long long i = grid_stride_start(); i < n; i += grid_stride_step()) {
        x[i] += bias[i % cols];
    }
}

// Rotary embedding in place on x[rows][heads*head_dim]. For pair i < head_dim/2:
// angle = (float)positions[r] * inv_freq[i]; pair (i, i+head_dim/2) if interleaved == 0,
// else (2i, 2i+1); x0' = x0*c - x1*s, x1' = x1*c + x0*s (cosf/sinf, full precision).
// Launch: grid-stride over rows*heads*(head_dim/2), block 256, no shared memory.
extern "C" __global__ void rope(float* x, const float* inv_freq, const int* positions, int rows, int heads, int head_dim, int interleaved) {
    const int half = head_dim >> 1;
    const long long n = (long long)rows * heads * half;
    for (long long idx = grid_stride_start(); idx < n; idx += grid_stride_step()) {
        const int i = (int)(idx % half);
        const long long rh = idx / half;          // r * heads + h
        const long long r = rh / heads;
        float* base = x + rh * head_dim;          // row r, head h
        const float angle = (float)positions[r] * inv_freq[i];
        const float c = cosf(angle), s = sinf(angle);
        const int i0 = interleaved ? 2 * i : i;
        const int i1 = interleaved ? 2 * i + 1 : i + half;
        const float x0 = base[i0], x1 = base[i1];
        base[i0] = x0 * c - x1 * s;
        base[i1] = x1 * c + x0 * s;
    }
}

__device__ __forceinline__ float silu_mul(float g, float u) {
    return g / (1.0f + expf(-g)) * u;
}

// out[i] = silu(gate[i]) * up[i]; out may alias gate (or up).
// Launch: grid-stride, block 256, no shared memory.
extern "C" __global__ void swiglu(const float* gate, const float* up, float* out, long long n) {
    for (long long i = grid_stride_start(); i < n; i += grid_stride_step()) out[i] = silu_mul(gate[i], up[i]);
}

// out[i] = bf16(silu(gate[i]) * up[i]). Launch: grid-stride, block 256, no shared memory.
extern "C" __global__ void swiglu_bf16(const float* gate, const float* up, unsigned short* out, long long n) {
    for (long long i = grid_stride_start(); i < n; i += grid_stride_step()) out[i] = f32_to_bf16(silu_mul(gate[i], up[i]));
}

// acc[i] += x[i]. Launch: grid-stride, block 256, no shared memory.
extern "C" __global__ void add_rows(float* acc, const float* x, long long n) {
    for (long long i = grid_stride_start(); i < n; i += grid_stride_step()) acc[i] += x[i];
}

// k_cache[first_slot + r] = bf16(k[r]), v_cache likewise (rows of kv_dim);
// slot_positions[first_slot + r] = positions[r].
// Launch: grid-stride over rows*kv_dim, block 256, no shared memory.
extern "C" __global__ void store_kv(const float* k, const float* v, unsigned short* k_cache, unsigned short* v_cache,
                                    int* slot_positions, const int* positions, int rows, int kv_dim, int first_slot) {
    const long long n = (long long)rows * kv_dim;
    const long long off = (long long)first_slot * kv_dim;
    for (long long i = grid_stride_start(); i < n; i += grid_stride_step()) {
        k_cache[off + i] = f32_to_bf16(k[i]);
        v_cache[off + i] = f32_to_bf16(v[i]);
        if (i % kv_dim == 0) {
            const long long r = i / kv_dim;
            slot_positions[first_slot + r] = positions[r];
        }
    }
}

// ----------------------------------------------------------------------------------
// Attention, common rule: query row r (position qpos[r]) of head h reads kv head
// h / (heads / kv_heads); slot s < slot_count is visible iff
//   slot_positions[s] <= qpos[r] && (window == 0 || qpos[r] - slot_positions[s] < window).
// Softmax over visible slots of scale * dot(q, k_s); out = sum p_s v_s; zeros if none.
// ----------------------------------------------------------------------------------

__device__ __forceinline__ bool slot_visible(int sp, int qp, int window) {
    return sp <= qp && (window == 0 || qp - sp < window);
}

// Dot product of a float vector in shared memory with a bf16 row (length hd).
__device__ __forceinline__ float dot_q_bf16(const float* qs, const unsigned short* krow, int hd) {
    float acc = 0.0f;
    if ((hd & 7) == 0) {
        const uint4* k4 = (const uint4*)krow;
        for (int d8 = 0; d8 < (hd >> 3); ++d8) {
            const uint4 w = k4[d8];
            const float* qq = qs + d8 * 8;
            acc = fmaf(qq[0], __uint_as_float(w.x << 16), acc);
            acc = fmaf(qq[1], __uint_as_float(w.x & 0xffff0000u), acc);
            acc = fmaf(qq[2], __uint_as_float(w.y << 16), acc);
            acc = fmaf(qq[3], __uint_as_float(w.y & 0xffff0000u), acc);
            acc = fmaf(qq[4], __uint_as_float(w.z << 16), acc);
            acc = fmaf(qq[5], __uint_as_float(w.z & 0xffff0000u), acc);
            acc = fmaf(qq[6], __uint_as_float(w.w << 16), acc);
            acc = fmaf(qq[7], __uint_as_float(w.w & 0xffff0000u), acc);
        }
    } else {
        for (int d = 0; d < hd; ++d) acc = fmaf(qs[d], bf16_to_f32(krow[d]), acc);
    }
    return acc;
}

// One (row, head) over slots [s_begin, s_end), block of 128 threads, fp32 throughout,
// natural-exponent online softmax in chunks of 128 slots (one slot per thread for the
// scores, one output dimension per thread for P.V). head_dim <= 256.
// Returns the running max m (-inf if nothing visible), the sum l and the thread's
// un-normalised accumulators for dims tid and tid + 128.
struct AttnState {
    float m, l, acc0, acc1;
};

__device__ __forceinline__ AttnState attend_range_fp32(const float* q, const unsigned short* k_cache,
                                                       const unsigned short* v_cache, const int* slot_positions,
                                                       const int* qpos, int row, int head, int heads, int kv_heads,
                                                       int head_dim, float scale, int window, int s_begin, int s_end) {
    __shared__ float qs[256];
    __shared__ float ps[128];
    __shared__ float red[32];
    const int tid = threadIdx.x;
    const int kvh = head / (heads / kv_heads);
    const long long kv_dim = (long long)kv_heads * head_dim;
    const float* qrow = q + ((long long)row * heads + head) * head_dim;
    for (int d = tid; d < head_dim; d += blockDim.x) qs[d] = qrow[d];
    const int qp = qpos[row];
    __syncthreads();

    AttnState st;
    st.m = krn_neg_inf();
    st.l = 0.0f;
    st.acc0 = 0.0f;
    st.acc1 = 0.0f;
    const unsigned short* kbase = k_cache + kvh * head_dim;
    const unsigned short* vbase = v_cache + kvh * head_dim;
    for (int base = s_begin; base < s_end; base += 128) {
        const int s = base + tid;
        float sc = krn_neg_inf();
        if (s < s_end && slot_visible(slot_positions[s], qp, window)) {
            sc = dot_q_bf16(qs, kbase + (long long)s * kv_dim, head_dim) * scale;
        }
        const float cmax = block_max(sc, red);
        const float m_new = fmaxf(st.m, cmax);
        if (m_new == krn_neg_inf()) continue;  // uniform: nothing visible so far
        const float p = (sc == krn_neg_inf()) ? 0.0f : expf(sc - m_new);
        const float alpha = expf(st.m - m_new);  // 0 when st.m == -inf
        ps[tid] = p;
        const float psum = block_sum(p, red);    // its barriers also publish ps[]
        st.l = st.l * alpha + psum;
        st.m = m_new;
        const int n = min(128, s_end - base);
        float a0 = st.acc0 * alpha, a1 = st.acc1 * alpha;
        const int d0 = tid, d1 = tid + 128;
        for (int i = 0; i < n; ++i) {
            const float pi = ps[i];
            if (pi == 0.0f) continue;  // uniform across the block
            const unsigned short* vrow = vbase + (long long)(base + i) * kv_dim;
            if (d0 < head_dim) a0 = fmaf(pi, bf16_to_f32(vrow[d0]), a0);
            if (d1 < head_dim) a1 = fmaf(pi, bf16_to_f32(vrow[d1]), a1);
        }
        st.acc0 = a0;
        st.acc1 = a1;
        __syncthreads();  // ps[] is rewritten by the next chunk
    }
    return st;
}

// Reference attention for any head_dim <= 256 (fp32, simple).
// Launch: grid = (rows, heads), block = 128, static shared ~1.7 KB.
extern "C" __global__ void __launch_bounds__(128) attention_generic(const float* q, const unsigned short* k_cache,
                                                                   const unsigned short* v_cache, const int* slot_positions,
                                                                   const int* qpos, float* out, int rows, int slot_count,
                                                                   int heads, int kv_heads, int head_dim, float scale,
                                                                   int window) {
    const int row = blockIdx.x, head = blockIdx.y;
    if (row >= rows || head >= heads) return;
    const AttnState st = attend_range_fp32(q, k_cache, v_cache, slot_positions, qpos, row, head, heads, kv_heads,
                                           head_dim, scale, window, 0, slot_count);
    const float inv = st.l > 0.0f ? 1.0f / st.l : 0.0f;
    float* orow = out + ((long long)row * heads + head) * head_dim;
    const int tid = threadIdx.x;
    if (tid < head_dim) orow[tid] = st.acc0 * inv;
    if (tid + 128 < head_dim) orow[tid + 128] = st.acc1 * inv;
}

// Decode path for head_dim % 8 == 0 (<= 256): same result as attend_range_fp32 but with
// coalesced 16-byte loads. C = head_dim/8 chunks of 8 dims. Scores: a group of LPS lanes
// (LPS = C rounded up to a power of two) owns one slot, lane i of the group loads chunk i
// of the K row and the group reduces with shuffles. P.V: thread t owns chunk t % C of a
// slot subset (slots = t / C mod 128 / C) and the subsets are summed through shared
// memory at the end. Slots go in chunks of 256 (scores in shared memory), with the
// online-softmax rescaling between chunks. Writes the split's partial results.
__device__ __forceinline__ void decode_range_vec(const float* q, const unsigned short* k_cache,
                                                 const unsigned short* v_cache, const int* slot_positions,
                                                 const int* qpos, int row, int head, int heads, int kv_heads,
                                                 int head_dim, float scale, int window, int s_begin, int s_end,
                                                 float* po, float* pmax, float* psum) {
    __shared__ float sc[256];
    __shared__ float red[32];
    __shared__ __align__(16) float accbuf[1024];
    const int tid = threadIdx.x, lane = tid & 31, warp = tid >> 5;
    const int C = head_dim >> 3;
    int LPS = 1;
    while (LPS < C) LPS <<= 1;
    const int SPW = 32 / LPS;             // slots per warp step
    const int li = lane & (LPS - 1), si = lane / LPS;
    const int kvh = head / (heads / kv_heads);
    const long long kv_dim = (long long)kv_heads * head_dim;
    const unsigned short* kbase = k_cache + kvh * head_dim;
    const unsigned short* vbase = v_cache + kvh * head_dim;
    const int qp = qpos[row];

    float qr[8];
    {
        const float* qrow = q + ((long long)row * heads + head) * head_dim;
        for (int e = 0; e < 8; ++e) qr[e] = (li < C) ? qrow[li * 8 + e] : 0.0f;
    }
    const int pc = tid % C, psg = tid / C, nsg = 128 / C;
    const bool pv_active = psg < nsg;
    float acc[8];
    for (int e = 0; e < 8; ++e) acc[e] = 0.0f;
    float m = krn_neg_inf(), l = 0.0f;

    for (int base = s_begin; base < s_end; base += 256) {
        const int n = min(256, s_end - base);
        // ---- scores ----
#pragma unroll 2
        for (int k0 = warp * SPW; k0 < n; k0 += 4 * SPW) {
            const int i = k0 + si;
            const bool valid = i < n;
            const long long s = (long long)base + i;
            int sp = 0;
            if (valid && li == 0) sp = slot_positions[s];
            float dot = 0.0f;
            if (valid && li < C) {
                const uint4 w = *(const uint4*)(kbase + s * kv_dim + li * 8);
                dot = fmaf(qr[0], __uint_as_float(w.x << 16), dot);
                dot = fmaf(qr[1], __uint_as_float(w.x & 0xffff0000u), dot);
                dot = fmaf(qr[2], __uint_as_float(w.y << 16), dot);
                dot = fmaf(qr[3], __uint_as_float(w.y & 0xffff0000u), dot);
                dot = fmaf(qr[4], __uint_as_float(w.z << 16), dot);
                dot = fmaf(qr[5], __uint_as_float(w.z & 0xffff0000u), dot);
                dot = fmaf(qr[6], __uint_as_float(w.w << 16), dot);
                dot = fmaf(qr[7], __uint_as_float(w.w & 0xffff0000u), dot);
            }
            for (int o = LPS >> 1; o > 0; o >>= 1) dot += __shfl_xor_sync(0xffffffffu, dot, o);
            if (valid && li == 0) sc[i] = slot_visible(sp, qp, window) ? dot * scale : krn_neg_inf();
        }
        __syncthreads();
        // ---- chunk softmax ----
        float lm = krn_neg_inf();
        for (int i = tid; i < n; i += 128) lm = fmaxf(lm, sc[i]);
        const float cmax = block_max(lm, red);
        const float m_new = fmaxf(m, cmax);
        if (m_new == krn_neg_inf()) continue;  // uniform; block_max's barrier protects sc[]
        const float alpha = expf(m - m_new);   // 0 when m == -inf
        float ls = 0.0f;
        for (int i = tid; i < n; i += 128) {
            const float v = sc[i];
            const float p = (v == krn_neg_inf()) ? 0.0f : expf(v - m_new);
            sc[i] = p;
            ls += p;
        }
        const float csum = block_sum(ls, red);  // its barriers also publish sc[] = p
        l = l * alpha + csum;
        m = m_new;
        // ---- P.V ----
        for (int e = 0; e < 8; ++e) acc[e] *= alpha;
        if (pv_active) {
#pragma unroll 4
            for (int i = psg; i < n; i += nsg) {
                const float p = sc[i];
                const uint4 w = *(const uint4*)(vbase + ((long long)base + i) * kv_dim + pc * 8);
                acc[0] = fmaf(p, __uint_as_float(w.x << 16), acc[0]);
                acc[1] = fmaf(p, __uint_as_float(w.x & 0xffff0000u), acc[1]);
                acc[2] = fmaf(p, __uint_as_float(w.y << 16), acc[2]);
                acc[3] = fmaf(p, __uint_as_float(w.y & 0xffff0000u), acc[3]);
                acc[4] = fmaf(p, __uint_as_float(w.z << 16), acc[4]);
                acc[5] = fmaf(p, __uint_as_float(w.z & 0xffff0000u), acc[5]);
                acc[6] = fmaf(p, __uint_as_float(w.w << 16), acc[6]);
                acc[7] = fmaf(p, __uint_as_float(w.w & 0xffff0000u), acc[7]);
            }
        }
        __syncthreads();  // sc[] is rewritten by the next chunk
    }
    // ---- sum the slot subsets ----
    if (pv_active) {
        for (int e = 0; e < 8; ++e) accbuf[psg * head_dim + pc * 8 + e] = acc[e];
    }
    __syncthreads();
    for (int d = tid; d < head_dim; d += 128) {
        float v = 0.0f;
        for (int gi = 0; gi < nsg; ++gi) v += accbuf[gi * head_dim + d];
        po[d] = v;
    }
    if (tid == 0) {
        *pmax = m;
        *psum = l;
    }
}

// Flash-decoding, phase 1: block (split, head, row) attends over slots
// [split*slots_per_split, min(+slots_per_split, slot_count)) and writes, with
// splits = gridDim.x and idx = (row*heads + head)*splits + split:
//   partial_out[idx*head_dim + d] = sum exp(s - m) v_s[d] (un-normalised),
//   partial_max[idx] = m (-inf if nothing visible), partial_sum[idx] = sum exp(s - m).
// head_dim % 8 == 0 takes the vectorised path (16-byte aligned cache rows), other sizes
// the scalar one. Launch: grid = (ceil(slot_count/slots_per_split), heads, rows),
// block = 128, static shared ~7 KB; head_dim <= 256.
extern "C" __global__ void __launch_bounds__(128) attention_decode_partial(
    const float* q, const unsigned short* k_cache, const unsigned short* v_cache, const int* slot_positions,
    const int* qpos, float* partial_out, float* partial_max, float* partial_sum, int rows, int slot_count, int heads,
    int kv_heads, int head_dim, float scale, int window, int slots_per_split) {
    const int split = blockIdx.x, head = blockIdx.y, row = blockIdx.z;
    const int splits = gridDim.x;
    if (row >= rows || head >= heads) return;
    const int s_begin = split * slots_per_split;
    const int s_end = min(slot_count, s_begin + slots_per_split);
    const long long idx = ((long long)row * heads + head) * splits + split;
    float* po = partial_out + idx * head_dim;
    if ((head_dim & 7) == 0) {
        decode_range_vec(q, k_cache, v_cache, slot_positions, qpos, row, head, heads, kv_heads, head_dim, scale,
                         window, s_begin, s_end, po, partial_max + idx, partial_sum + idx);
        return;
    }
    const AttnState st = attend_range_fp32(q, k_cache, v_cache, slot_positions, qpos, row, head, heads, kv_heads,
                                           head_dim, scale, window, s_begin, s_end);
    const int tid = threadIdx.x;
    if (tid < head_dim) po[tid] = st.acc0;
    if (tid + 128 < head_dim) po[tid + 128] = st.acc1;
    if (tid == 0) {
        partial_max[idx] = st.m;
        partial_sum[idx] = st.l;
    }
}

// Flash-decoding, phase 2: merges the splits of one (row, head):
// out[row][head*head_dim + d] = sum_i e^(m_i-M) o_i[d] / sum_i e^(m_i-M) l_i, zeros if all empty.
// Launch: grid = (heads, rows), block = head_dim rounded up to a multiple of 32, no shared memory.
extern "C" __global__ void attention_decode_combine(const float* partial_out, const float* partial_max,
                                                    const float* partial_sum, float* out, int rows, int heads,
                                                    int head_dim, int splits) {
    const int head = blockIdx.x, row = blockIdx.y, d = threadIdx.x;
    if (row >= rows || head >= heads || d >= head_dim) return;
    const long long base = ((long long)row * heads + head) * splits;
    float M = krn_neg_inf();
    for (int i = 0; i < splits; ++i) M = fmaxf(M, partial_max[base + i]);
    float res = 0.0f;
    if (M != krn_neg_inf()) {
        float num = 0.0f, den = 0.0f;
        for (int i = 0; i < splits; ++i) {
            const float mi = partial_max[base + i];
            if (mi == krn_neg_inf()) continue;
            const float w = expf(mi - M);
            num = fmaf(w, partial_out[(base + i) * head_dim + d], num);
            den = fmaf(w, partial_sum[base + i], den);
        }
        res = den > 0.0f ? num / den : 0.0f;
    }
    out[((long long)row * heads + head) * head_dim + d] = res;
}

// ----------------------------------------------------------------------------------
// Tensor-core flash attention (prefill). PTX helpers.
// ----------------------------------------------------------------------------------

__device__ __forceinline__ unsigned int smem_u32(const void* p) {
    unsigned int r;
    asm("{ .reg .u64 a; cvta.to.shared.u64 a, %1; cvt.u32.u64 %0, a; }" : "=r"(r) : "l"(p));
    return r;
}

// 16-byte async copy global -> shared; src_bytes = 0 writes zeros (src not read).
__device__ __forceinline__ void cp_async_16(unsigned int dst, const void* src, int src_bytes) {
    asm volatile("cp.async.cg.shared.global [%0], [%1], 16, %2;\n" ::"r"(dst), "l"(src), "r"(src_bytes) : "memory");
}

__device__ __forceinline__ void cp_async_commit() { asm volatile("cp.async.commit_group;\n" ::: "memory"); }

template <int N>
__device__ __forceinline__ void cp_async_wait() {
    asm volatile("cp.async.wait_group %0;\n" ::"n"(N) : "memory");
}

__device__ __forceinline__ void ldmatrix_x4(unsigned int& r0, unsigned int& r1, unsigned int& r2, unsigned int& r3,
                                            unsigned int addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(addr));
}

__device__ __forceinline__ void ldmatrix_x4_trans(unsigned int& r0, unsigned int& r1, unsigned int& r2,
                                                  unsigned int& r3, unsigned int addr) {
    asm volatile("ldmatrix.sync.aligned.m8n8.x4.trans.shared.b16 {%0, %1, %2, %3}, [%4];\n"
                 : "=r"(r0), "=r"(r1), "=r"(r2), "=r"(r3)
                 : "r"(addr));
}

// c += a (16x16, row) * b (16x8, col); bf16 inputs, fp32 accumulate.
__device__ __forceinline__ void mma_bf16_16816(float* c, const unsigned int* a, unsigned int b0, unsigned int b1) {
    asm volatile(
        "mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32 {%0, %1, %2, %3}, {%4, %5, %6, %7}, {%8, %9}, "
        "{%0, %1, %2, %3};\n"
        : "+f"(c[0]), "+f"(c[1]), "+f"(c[2]), "+f"(c[3])
        : "r"(a[0]), "r"(a[1]), "r"(a[2]), "r"(a[3]), "r"(b0), "r"(b1));
}

__device__ __forceinline__ float fast_exp2(float x) {  // 2^x; -inf -> 0
    float y;
    asm("ex2.approx.ftz.f32 %0, %1;" : "=f"(y) : "f"(x));
    return y;
}

// Slot positions of key block jb held by one lane: columns 2*lane and 2*lane+1 of the
// block (KRN_INT_MAX where the column is padding, i.e. >= BN or >= slot_count).
template <int BN>
__device__ __forceinline__ int2 load_block_pos(const int* slot_positions, int jb, int slot_count, int lane) {
    int2 p = make_int2(KRN_INT_MAX, KRN_INT_MAX);
    const int c = jb * BN + 2 * lane;
    if (2 * lane < BN) {
        if (c < slot_count) p.x = slot_positions[c];
        if (c + 1 < slot_count) p.y = slot_positions[c + 1];
    }
    return p;
}

// Flash attention forward for head_dim HD (64 or 128), key blocks of BN slots.
// KST / VST = number of K / V shared-memory buffers (1 or 2). SWZ: rows unpadded with an
// XOR swizzle of the 16-byte chunks (chunk c of row r is stored at c ^ (r & 7)), else rows
// padded by 16 bytes; both make ldmatrix conflict-free.
// Block = 128 threads = 4 warps; the block owns 64 query rows of one head (warp w owns
// rows 16w..16w+15). Q is converted to bf16 once and kept in registers as mma A
// fragments. K/V tiles (BN x HD bf16) arrive by 16-byte cp.async (slots >= slot_count
// are zero-filled); with two K buffers the next K tile is in flight for a whole key
// block. Key blocks whose slots are invisible to every row of the tile are skipped
// (min/max slot position of the block vs min/max query position of the tile, warp-local
// reductions that give the same answer in every warp); blocks visible to every row skip
// the per-element mask. S = QK^T and O += PV use mma.m16n8k16 (bf16 in, fp32 accumulate);
// online softmax in fp32 (base 2); P is rounded to bf16 and the row sums use the rounded
// values. Heavy (late) query tiles are scheduled first.
template <int HD, int BN, int KST, int VST, bool SWZ>
__device__ __forceinline__ void flash_prefill(const float* __restrict__ q, const unsigned short* __restrict__ k_cache,
                                              const unsigned short* __restrict__ v_cache,
                                              const int* __restrict__ slot_positions, const int* __restrict__ qpos,
                                              float* __restrict__ out, int rows, int slot_count, int heads,
                                              int kv_heads, float scale, int window) {
    constexpr int BM = 64;                      // query rows per block
    constexpr int PITCH = SWZ ? HD : HD + 8;    // bf16 elements per smem row
    constexpr int KSTEPS = HD / 16;             // k-steps of S = Q K^T
    constexpr int DT = HD / 8;                  // 8-wide output tiles per warp
    constexpr int CHUNKS = HD / 8;              // 16-byte chunks per K/V row
    constexpr int NT = BN / 8;                  // 8-wide S tiles per warp
    constexpr int PK = BN / 16;                 // k-steps of O += P V
    constexpr int TILE = BN * PITCH;
    static_assert((BN * CHUNKS) % 128 == 0, "tile load split");
    static_assert((KST + VST) * BN >= BM, "Q staging must fit in the K/V buffers");
    static_assert(BN <= 64, "positions are held as 2 per lane");
    static_assert(KST == 2 || VST == 1, "V double-buffered needs K double-buffered");

    // K buffers, then V buffers. The first 64 rows also stage Q in the prologue.
    __shared__ __align__(128) unsigned short smem[(KST + VST) * TILE];

    const int tid = threadIdx.x;
    const int lane = tid & 31, warp = tid >> 5;
    const int g = lane >> 2, t = lane & 3;
    const int head = blockIdx.y;
    const int kvh = head / (heads / kv_heads);
    const int row0 = (gridDim.x - 1 - blockIdx.x) * BM;  // heavy tiles first
    const long long q_ld = (long long)heads * HD;
    const long long kv_ld = (long long)kv_heads * HD;
    const int nblocks = (slot_count + BN - 1) / BN;
    const unsigned int smem_base = smem_u32(smem);
    // element offset of 16-byte chunk c8 of row r inside a tile
    auto el = [](int r, int c8) -> int { return SWZ ? r * PITCH + ((c8 ^ (r & 7)) << 3) : r * PITCH + (c8 << 3); };

    // ---- query positions of the tile: min / max over valid rows (warp-local) ----
    int qmin = KRN_INT_MAX, qmax = KRN_INT_MIN;
    for (int i = lane; i < BM; i += 32) {
        if (row0 + i < rows) {
            const int p = qpos[row0 + i];
            qmin = min(qmin, p);
            qmax = max(qmax, p);
        }
    }
    for (int o = 16; o > 0; o >>= 1) {
        qmin = min(qmin, __shfl_xor_sync(0xffffffffu, qmin, o));
        qmax = max(qmax, __shfl_xor_sync(0xffffffffu, qmax, o));
    }
    // positions of this thread's two rows (-1 for padding rows: nothing visible, never written)
    const int r_a = row0 + warp * 16 + g, r_b = r_a + 8;
    const int qp_a = r_a < rows ? qpos[r_a] : -1;
    const int qp_b = r_b < rows ? qpos[r_b] : -1;

    // ---- Q tile: float -> bf16 staged in smem, then ldmatrix into A fragments ----
    for (int c = tid; c < BM * (HD / 4); c += 128) {
        const int r = c / (HD / 4), c4 = c % (HD / 4);
        float4 v = make_float4(0.f, 0.f, 0.f, 0.f);
        if (row0 + r < rows) v = *(const float4*)(q + (long long)(row0 + r) * q_ld + (long long)head * HD + c4 * 4);
        uint2 w;
        w.x = pack_bf16x2(v.x, v.y);
        w.y = pack_bf16x2(v.z, v.w);
        *(uint2*)(smem + el(r, c4 >> 1) + (c4 & 1) * 4) = w;
    }
    __syncthreads();
    unsigned int qf[KSTEPS][4];
    {
        const int r = warp * 16 + (lane & 15);
        const int chalf = lane >> 4;
#pragma unroll
        for (int kk = 0; kk < KSTEPS; ++kk)
            ldmatrix_x4(qf[kk][0], qf[kk][1], qf[kk][2], qf[kk][3],
                        smem_base + (unsigned int)el(r, kk * 2 + chalf) * 2u);
    }
    __syncthreads();  // the staging area is overwritten by the first K/V tiles

    // ---- key-block classification: warp-local, the same answer in every warp ----
    // Returns the first block >= jb (whose lane positions are p) that is not invisible to
    // the whole tile; its positions go to pos_out, "visible to every row" to full_out.
    auto classify = [&](int jb, int2 p, int2& pos_out, bool& full_out) -> int {
        while (jb < nblocks) {
            int mn = min(p.x, p.y);
            int mx = max(p.x == KRN_INT_MAX ? KRN_INT_MIN : p.x, p.y == KRN_INT_MAX ? KRN_INT_MIN : p.y);
            for (int o = 16; o > 0; o >>= 1) {
                mn = min(mn, __shfl_xor_sync(0xffffffffu, mn, o));
                mx = max(mx, __shfl_xor_sync(0xffffffffu, mx, o));
            }
            const bool skip = mn > qmax || (window > 0 && (long long)qmin - mx >= window);
            if (!skip) {
                pos_out = p;
                full_out = ((jb + 1) * BN <= slot_count) && mx <= qmin &&
                           (window == 0 || (long long)qmax - mn < window);
                return jb;
            }
            ++jb;
            p = load_block_pos<BN>(slot_positions, jb, slot_count, lane);
        }
        return jb;
    };

    const unsigned short* kg = k_cache + kvh * HD;
    const unsigned short* vg = v_cache + kvh * HD;
    // cp.async of one BN x HD tile of block jb into smem (byte address dst_base).
    auto load_tile = [&](unsigned int dst_base, const unsigned short* src, int jb) {
#pragma unroll
        for (int i = 0; i < (BN * CHUNKS) / 128; ++i) {
            const int c = tid + i * 128;
            const int r = c / CHUNKS, ch = c % CHUNKS;
            const int s = jb * BN + r;
            const bool ok = s < slot_count;
            const unsigned short* gp = src + (long long)(ok ? s : 0) * kv_ld + ch * 8;
            cp_async_16(dst_base + (unsigned int)el(r, ch) * 2u, gp, ok ? 16 : 0);
        }
    };
    auto k_buf = [&](int st) -> unsigned int { return smem_base + (unsigned int)(st * TILE) * 2u; };
    auto v_buf = [&](int st) -> unsigned int { return smem_base + (unsigned int)((KST + st) * TILE) * 2u; };

    int2 cur_pos, nxt_pos = make_int2(KRN_INT_MAX, KRN_INT_MAX);
    bool cur_full = false, nxt_full = false;
    int j = classify(0, load_block_pos<BN>(slot_positions, 0, slot_count, lane), cur_pos, cur_full);
    int jn = nblocks;
    int st = 0;  // buffer of block j when double-buffered
    if (j < nblocks) {
        load_tile(k_buf(0), kg, j);
        if constexpr (VST == 2) load_tile(v_buf(0), vg, j);
    }
    cp_async_commit();
    if constexpr (KST == 2) {
        if (j < nblocks) jn = classify(j + 1, load_block_pos<BN>(slot_positions, j + 1, slot_count, lane), nxt_pos, nxt_full);
    }

    float o[DT][4];
#pragma unroll
    for (int i = 0; i < DT; ++i) o[i][0] = o[i][1] = o[i][2] = o[i][3] = 0.0f;
    float m_a = krn_neg_inf(), m_b = krn_neg_inf();  // running max (log2 domain)
    float l_a = 0.0f, l_b = 0.0f;                    // thread-partial row sums
    const float sl2 = scale * KRN_LOG2E;

    // per-lane ldmatrix coordinates
    const int k_row_off = (lane & 7) + ((lane >> 4) << 3);        // K: key within a 16-key pair
    const int k_chalf = (lane >> 3) & 1;                           // K: dim half (chunk)
    const int v_row_off = (lane & 7) + (((lane >> 3) & 1) << 3);  // V: key within a k-step
    const int v_chalf = lane >> 4;                                 // V: dim half (chunk)

    while (j < nblocks) {
        cp_async_wait<0>();  // this thread's copies of block j's K (and V when double-buffered)
        __syncthreads();     // ... everyone's; all warps are done with the buffers refilled below
        const unsigned int kb = k_buf(KST == 2 ? st : 0);
        const unsigned int vb = v_buf(VST == 2 ? st : 0);
        if constexpr (VST == 1) {
            load_tile(vb, vg, j);
            cp_async_commit();
        }
        if constexpr (KST == 2) {
            if (jn < nblocks) {
                load_tile(k_buf(st ^ 1), kg, jn);
                if constexpr (VST == 2) load_tile(v_buf(st ^ 1), vg, jn);
            }
            cp_async_commit();
        }
        // prefetch the positions of the next block to classify (overlaps the math)
        const int2 pref = load_block_pos<BN>(slot_positions, (KST == 2 ? jn : j) + 1, slot_count, lane);

        // ---- S = Q K^T (16 x BN per warp) ----
        float s[NT][4];
#pragma unroll
        for (int i = 0; i < NT; ++i) s[i][0] = s[i][1] = s[i][2] = s[i][3] = 0.0f;
#pragma unroll
        for (int kk = 0; kk < KSTEPS; ++kk) {
#pragma unroll
            for (int np = 0; np < NT / 2; ++np) {
                unsigned int b0, b1, b2, b3;
                ldmatrix_x4(b0, b1, b2, b3, kb + (unsigned int)el(np * 16 + k_row_off, kk * 2 + k_chalf) * 2u);
                mma_bf16_16816(s[2 * np], qf[kk], b0, b1);
                mma_bf16_16816(s[2 * np + 1], qf[kk], b2, b3);
            }
        }

        // ---- scale, mask, online softmax ----
#pragma unroll
        for (int nt = 0; nt < NT; ++nt) {
#pragma unroll
            for (int e = 0; e < 4; ++e) s[nt][e] *= sl2;
        }
        if (!cur_full) {  // warp-uniform
#pragma unroll
            for (int nt = 0; nt < NT; ++nt) {
                const int src = nt * 4 + t;  // lane holding columns nt*8+2t, nt*8+2t+1
                const int px = __shfl_sync(0xffffffffu, cur_pos.x, src);
                const int py = __shfl_sync(0xffffffffu, cur_pos.y, src);
                if (!slot_visible(px, qp_a, window)) s[nt][0] = krn_neg_inf();
                if (!slot_visible(py, qp_a, window)) s[nt][1] = krn_neg_inf();
                if (!slot_visible(px, qp_b, window)) s[nt][2] = krn_neg_inf();
                if (!slot_visible(py, qp_b, window)) s[nt][3] = krn_neg_inf();
            }
        }
        float mx_a = krn_neg_inf(), mx_b = krn_neg_inf();
#pragma unroll
        for (int nt = 0; nt < NT; ++nt) {
            mx_a = fmaxf(mx_a, fmaxf(s[nt][0], s[nt][1]));
            mx_b = fmaxf(mx_b, fmaxf(s[nt][2], s[nt][3]));
        }
        mx_a = fmaxf(mx_a, __shfl_xor_sync(0xffffffffu, mx_a, 1));
        mx_a = fmaxf(mx_a, __shfl_xor_sync(0xffffffffu, mx_a, 2));
        mx_b = fmaxf(mx_b, __shfl_xor_sync(0xffffffffu, mx_b, 1));
        mx_b = fmaxf(mx_b, __shfl_xor_sync(0xffffffffu, mx_b, 2));
        const float mn_a = fmaxf(m_a, mx_a), mn_b = fmaxf(m_b, mx_b);
        const float base_a = (mn_a == krn_neg_inf()) ? 0.0f : mn_a;
        const float base_b = (mn_b == krn_neg_inf()) ? 0.0f : mn_b;
        if (__any_sync(0xffffffffu, mn_a != m_a || mn_b != m_b)) {  // some row max moved: rescale
            const float alpha_a = fast_exp2(m_a - base_a), alpha_b = fast_exp2(m_b - base_b);
            l_a *= alpha_a;
            l_b *= alpha_b;
#pragma unroll
            for (int i = 0; i < DT; ++i) {
                o[i][0] *= alpha_a;
                o[i][1] *= alpha_a;
                o[i][2] *= alpha_b;
                o[i][3] *= alpha_b;
            }
        }
        m_a = mn_a;
        m_b = mn_b;
        unsigned int pf[PK][4];  // P as A fragments, k-step = 16 keys
#pragma unroll
        for (int kk = 0; kk < PK; ++kk) {
#pragma unroll
            for (int hlf = 0; hlf < 2; ++hlf) {
                const float* sv = s[2 * kk + hlf];
                const unsigned int pa = pack_bf16x2(fast_exp2(sv[0] - base_a), fast_exp2(sv[1] - base_a));
                const unsigned int pb = pack_bf16x2(fast_exp2(sv[2] - base_b), fast_exp2(sv[3] - base_b));
                // row sums of the bf16-rounded probabilities actually multiplied with V
                l_a += __uint_as_float(pa << 16) + __uint_as_float(pa & 0xffff0000u);
                l_b += __uint_as_float(pb << 16) + __uint_as_float(pb & 0xffff0000u);
                pf[kk][2 * hlf] = pa;
                pf[kk][2 * hlf + 1] = pb;
            }
        }

        if constexpr (KST == 1) {
            jn = classify(j + 1, pref, nxt_pos, nxt_full);
            cp_async_wait<0>();  // V_j landed
            __syncthreads();     // ... everyone's; all warps are done with K_j
            if (jn < nblocks) load_tile(kb, kg, jn);
            cp_async_commit();
        } else if constexpr (VST == 1) {
            cp_async_wait<1>();  // V_j landed (the next K may still be in flight)
            __syncthreads();
        }

        // ---- O += P V ----
#pragma unroll
        for (int kk = 0; kk < PK; ++kk) {
#pragma unroll
            for (int dp = 0; dp < HD / 16; ++dp) {
                unsigned int b0, b1, b2, b3;
                ldmatrix_x4_trans(b0, b1, b2, b3, vb + (unsigned int)el(kk * 16 + v_row_off, dp * 2 + v_chalf) * 2u);
                mma_bf16_16816(o[2 * dp], pf[kk], b0, b1);
                mma_bf16_16816(o[2 * dp + 1], pf[kk], b2, b3);
            }
        }

        j = jn;
        cur_pos = nxt_pos;
        cur_full = nxt_full;
        if constexpr (KST == 2) {
            st ^= 1;
            if (j < nblocks) jn = classify(j + 1, pref, nxt_pos, nxt_full);
        }
    }
    cp_async_wait<0>();

    // ---- normalise and store ----
    l_a += __shfl_xor_sync(0xffffffffu, l_a, 1);
    l_a += __shfl_xor_sync(0xffffffffu, l_a, 2);
    l_b += __shfl_xor_sync(0xffffffffu, l_b, 1);
    l_b += __shfl_xor_sync(0xffffffffu, l_b, 2);
    const float inv_a = l_a > 0.0f ? 1.0f / l_a : 0.0f;
    const float inv_b = l_b > 0.0f ? 1.0f / l_b : 0.0f;
    if (r_a < rows) {
        float* orow = out + (long long)r_a * q_ld + (long long)head * HD + 2 * t;
#pragma unroll
        for (int i = 0; i < DT; ++i) *(float2*)(orow + i * 8) = make_float2(o[i][0] * inv_a, o[i][1] * inv_a);
    }
    if (r_b < rows) {
        float* orow = out + (long long)r_b * q_ld + (long long)head * HD + 2 * t;
#pragma unroll
        for (int i = 0; i < DT; ++i) *(float2*)(orow + i * 8) = make_float2(o[i][2] * inv_b, o[i][3] * inv_b);
    }
}

// Tiling of the two prefill kernels (key block size, K/V buffers, swizzle); overridable at
// compile time for experiments. Measured on an H200 (causal, heads 32 / kv_heads 8,
// rows = slots = 8192): hd128 ~220 TFLOP/s, hd64 ~195 TFLOP/s with these defaults.
#ifndef KRN_HD64_BN
#define KRN_HD64_BN 64
#endif
#ifndef KRN_HD64_KST
#define KRN_HD64_KST 2
#endif
#ifndef KRN_HD64_VST
#define KRN_HD64_VST 2
#endif
#ifndef KRN_HD64_SWZ
#define KRN_HD64_SWZ true
#endif
#ifndef KRN_HD128_BN
#define KRN_HD128_BN 64
#endif
#ifndef KRN_HD128_KST
#define KRN_HD128_KST 2
#endif
#ifndef KRN_HD128_VST
#define KRN_HD128_VST 1
#endif
#ifndef KRN_HD128_SWZ
#define KRN_HD128_SWZ true
#endif

// Tensor-core flash attention, head_dim 64. q/out: float32 [rows, heads*64] (16-byte
// aligned rows); caches: bf16 [capacity, kv_heads*64] (16-byte aligned base).
// Launch: grid = (ceil(rows/64), heads), block = 128, dynamic shared = 0
// (static shared 32 KB: 2 x (K + V) tiles of 64 slots x 64 bf16, swizzled).
extern "C" __global__ void __launch_bounds__(128, KRN_PREFILL64_MINBLOCKS) attention_prefill_hd64(
    const float* q, const unsigned short* k_cache, const unsigned short* v_cache, const int* slot_positions,
    const int* qpos, float* out, int rows, int slot_count, int heads, int kv_heads, float scale, int window) {
    flash_prefill<64, KRN_HD64_BN, KRN_HD64_KST, KRN_HD64_VST, KRN_HD64_SWZ>(
        q, k_cache, v_cache, slot_positions, qpos, out, rows, slot_count, heads, kv_heads, scale, window);
}

// Tensor-core flash attention, head_dim 128 (same contract as the hd64 kernel).
// Launch: grid = (ceil(rows/64), heads), block = 128, dynamic shared = 0
// (static shared 48 KB: 2 K tiles + 1 V tile of 64 slots x 128 bf16, swizzled).
extern "C" __global__ void __launch_bounds__(128, KRN_PREFILL128_MINBLOCKS) attention_prefill_hd128(
    const float* q, const unsigned short* k_cache, const unsigned short* v_cache, const int* slot_positions,
    const int* qpos, float* out, int rows, int slot_count, int heads, int kv_heads, float scale, int window) {
    flash_prefill<128, KRN_HD128_BN, KRN_HD128_KST, KRN_HD128_VST, KRN_HD128_SWZ>(
        q, k_cache, v_cache, slot_positions, qpos, out, rows, slot_count, heads, kv_heads, scale, window);
}

// ----------------------------------------------------------------------------------
// Sampling helpers
// ----------------------------------------------------------------------------------

// Is (v, i) a better argmax candidate than (bv, bi)? NaN never wins; ties -> smaller index;
// bi < 0 means "no candidate yet".
__device__ __forceinline__ bool argmax_better(float v, int i, float bv, int bi) {
    if (i < 0 || v != v) return false;
    if (bi < 0) return true;
    return v > bv || (v == bv && i < bi);
}

// Is f NaN or +-infinity (exponent bits all ones)?
__device__ __forceinline__ int krn_not_finite(float f) {
    return (__float_as_uint(f) & 0x7f800000u) == 0x7f800000u;
}

// out_index[0] / out_value[0] = argmax of logits[0..n) (ties -> smallest index, NaN never
// wins; if every value is NaN the result is index 0 and logits[0]). out_index[0] is -1 when
// any value is NaN or infinite (broken weights; the engine reports it), noticed in the same scan.
// Launch: grid = 1, block = 1024 (any multiple of 32), static shared 256 B.
extern "C" __global__ void argmax_row(const float* logits, int n, int* out_index, float* out_value) {
    __shared__ float sv[32];
    __shared__ int si[32];
    float bv = 0.0f;
    int bi = -1;
    int bad = 0;
    for (int i = threadIdx.x; i < n; i += blockDim.x) {
        const float v = logits[i];
        bad |= krn_not_finite(v);
        if (argmax_better(v, i, bv, bi)) {
            bv = v;
            bi = i;
        }
    }
    for (int o = 16; o > 0; o >>= 1) {
        const float ov = __shfl_xor_sync(0xffffffffu, bv, o);
        const int oi = __shfl_xor_sync(0xffffffffu, bi, o);
        if (argmax_better(ov, oi, bv, bi)) {
            bv = ov;
            bi = oi;
        }
    }
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    if (lane == 0) {
        sv[warp] = bv;
        si[warp] = bi;
    }
    const int any_bad = __syncthreads_or(bad);
    if (threadIdx.x == 0) {
        const int nw = (blockDim.x + 31) >> 5;
        for (int w = 0; w < nw; ++w) {
            if (argmax_better(sv[w], si[w], bv, bi)) {
                bv = sv[w];
                bi = si[w];
            }
        }
        if (bi < 0) {
            bi = 0;
            bv = n > 0 ? logits[0] : 0.0f;
        }
        if (any_bad) {
            bi = -1;
        }
        out_index[0] = bi;
        out_value[0] = bv;
    }
}

// Order-preserving key of a float: larger float -> larger key; NaN -> 0 (smallest);
// -0.0 and +0.0 share one key.
__device__ __forceinline__ unsigned int float_order_key(float f) {
    if (f != f) return 0u;
    unsigned int u = __float_as_uint(f);
    if (u == 0x80000000u) u = 0u;
    return (u & 0x80000000u) ? ~u : (u | 0x80000000u);
}

// Top-k of logits[0..n), k <= 256: out_ids[0..k) / out_values[0..k) sorted by value
// descending, ties by smaller id first; NaN ranks below every number. If n < k the
// entries from n on get id -1 and value -inf. out_ids[0] is -1 when any value is NaN or
// infinite (as argmax_row), noticed in the first radix pass.
// Method: 4-pass 8-bit radix select of the k-th largest key (shared 256-bin histogram),
// gather (> threshold anywhere, == threshold smallest ids first), bitonic sort of 256.
// Launch: grid = 1, block = 1024 (any multiple of 32 >= 256), static shared ~3.2 KB.
extern "C" __global__ void top_k_row(const float* logits, int n, int k, int* out_ids, float* out_values) {
    __shared__ int hist[256];
    __shared__ unsigned int sel_key[256];
    __shared__ int sel_id[256];
    __shared__ int warp_cnt[2][32];
    __shared__ unsigned int s_prefix;
    __shared__ int s_remaining;
    __shared__ int s_gt_pos;
    const int tid = threadIdx.x;
    const int nthreads = blockDim.x;
    if (k > 256) k = 256;
    if (k <= 0) return;
    const int keff = n < k ? n : k;

    if (tid == 0) {
        s_prefix = 0u;
        s_remaining = keff;
        s_gt_pos = 0;
    }
    unsigned int mask = 0u;
    int bad = 0, any_bad = 0;
    for (int shift = 24; shift >= 0 && keff > 0; shift -= 8) {
        for (int i = tid; i < 256; i += nthreads) hist[i] = 0;
        __syncthreads();
        const unsigned int prefix = s_prefix;
        for (int i = tid; i < n; i += nthreads) {
            const float v = logits[i];
            if (shift == 24) bad |= krn_not_finite(v);
            const unsigned int key = float_order_key(v);
            if ((key & mask) == prefix) atomicAdd(&hist[(key >> shift) & 255u], 1);
        }
        any_bad |= __syncthreads_or(bad);
        if (tid == 0) {
            int rem = s_remaining;
            int b = 255;
            for (; b > 0; --b) {
                if (hist[b] >= rem) break;
                rem -= hist[b];
            }
            s_remaining = rem;
            s_prefix = prefix | ((unsigned int)b << shift);
        }
        mask |= 255u << shift;
        __syncthreads();
    }
    const unsigned int thr = s_prefix;
    const int need_eq = s_remaining;   // how many == thr to take (smallest ids first)
    const int n_gt = keff - need_eq;   // number of keys > thr (exactly)

    // gather, in index order chunk by chunk (block-wide ordered ranks for the ties;
    // the > threshold ones go anywhere in [0, n_gt), their order is fixed by the sort)
    const int lane = tid & 31, warp = tid >> 5, nw = (nthreads + 31) >> 5;
    int taken_eq = 0, taken_gt = 0;
    for (int base = 0; base < n && keff > 0; base += nthreads) {
        const int i = base + tid;
        unsigned int key = 0u;
        const bool valid = i < n;
        if (valid) key = float_order_key(logits[i]);
        const bool gt = valid && key > thr;
        const bool eq = valid && key == thr;
        if (gt) {
            const int pos = atomicAdd(&s_gt_pos, 1);
            sel_key[pos] = key;
            sel_id[pos] = i;
        }
        const unsigned int bal_eq = __ballot_sync(0xffffffffu, eq);
        const unsigned int bal_gt = __ballot_sync(0xffffffffu, gt);
        if (lane == 0) {
            warp_cnt[0][warp] = __popc(bal_eq);
            warp_cnt[1][warp] = __popc(bal_gt);
        }
        __syncthreads();
        int before = 0, total_eq = 0, total_gt = 0;
        for (int w = 0; w < nw; ++w) {
            const int c = warp_cnt[0][w];
            if (w < warp) before += c;
            total_eq += c;
            total_gt += warp_cnt[1][w];
        }
        if (eq) {
            const int rank = taken_eq + before + __popc(bal_eq & ((1u << lane) - 1u));
            if (rank < need_eq) {
                sel_key[n_gt + rank] = key;
                sel_id[n_gt + rank] = i;
            }
        }
        taken_eq += total_eq;
        taken_gt += total_gt;
        __syncthreads();  // warp_cnt is rewritten by the next chunk
        if (taken_eq >= need_eq && taken_gt >= n_gt) break;  // uniform (registers only)
    }
    for (int i = keff + tid; i < 256; i += nthreads) {
        sel_key[i] = 0u;
        sel_id[i] = KRN_INT_MAX;
    }
    __syncthreads();

    // bitonic sort of 256 entries: key descending, id ascending
    for (int size = 2; size <= 256; size <<= 1) {
        for (int stride = size >> 1; stride > 0; stride >>= 1) {
            if (tid < 256) {
                const int partner = tid ^ stride;
                if (partner > tid) {
                    const unsigned int ka = sel_key[tid], kb = sel_key[partner];
                    const int ia = sel_id[tid], ib = sel_id[partner];
                    // a_first: (a) should precede (b) in the final order
                    const bool a_first = ka > kb || (ka == kb && ia < ib);
                    const bool ascending_block = (tid & size) == 0;  // this run wants "first" order
                    if (a_first != ascending_block) {
                        sel_key[tid] = kb;
                        sel_key[partner] = ka;
                        sel_id[tid] = ib;
                        sel_id[partner] = ia;
                    }
                }
            }
            __syncthreads();
        }
    }
    for (int i = tid; i < k; i += nthreads) {
        if (i < keff) {
            const int id = sel_id[i];
            out_ids[i] = i == 0 && any_bad ? -1 : id;
            out_values[i] = logits[id];
        } else {
            out_ids[i] = -1;
            out_values[i] = krn_neg_inf();
        }
    }
}

// ----------------------------------------------------------------------------------
// Token subsets (SPTS): gather/scatter of rows and the partial attention probe.
// ----------------------------------------------------------------------------------

// dst[i][c] = src[rows[i]][c] for i < count. Launch: grid-stride over count*cols, block 256.
extern "C" __global__ void gather_rows(const float* src, const int* rows, float* dst, int count, int cols) {
    long long n = (long long)count * cols;
    for (long long i = grid_stride_start(); i < n; i += grid_stride_step()) {
        long long r = i / cols;
        int c = (int)(i - r * cols);
        dst[i] = src[(long long)rows[r] * cols + c];
    }
}

// dst[rows[i]][c] += src[i][c] for i < count; rows are distinct, so no atomics.
// Launch: grid-stride over count*cols, block 256.
extern "C" __global__ void scatter_add_rows(const float* src, const int* rows, float* dst, int count, int cols) {
    long long n = (long long)count * cols;
    for (long long i = grid_stride_start(); i < n; i += grid_stride_step()) {
        long long r = i / cols;
        int c = (int)(i - r * cols);
        dst[(long long)rows[r] * cols + c] += src[i];
    }
}

// Partial attention probe, phase 1: logits[h][n] = scale * q_h . k_{kvh}[n] for every query head h,
// or -inf for keys the query may not see (causal by position, sliding window). One warp per key at a
// time reads the key row once, coalesced, and scores it against every query head of its KV group.
// q: float32 [heads*head_dim] (the query row), k: float32 [count, kv_heads*head_dim],
// logits: [heads, count]. Launch: grid = (ceil(count / 64), kv_heads), block = 256 (8 warps, 8 keys
// each), static shared = group * head_dim floats (<= 8 * 256).
extern "C" __global__ void probe_logits(const float* q, const float* k, const int* key_positions, int query_position,
        float* logits, int count, int heads, int kv_heads, int head_dim, float scale, int window) {
    __shared__ float qs[8 * 256];
    int kvh = blockIdx.y;
    int group = heads / kv_heads;
    for (int i = threadIdx.x; i < group * head_dim; i += blockDim.x) {
        qs[i] = q[(long long)kvh * group * head_dim + i];
    }
    __syncthreads();
    int lane = threadIdx.x & 31, warp = threadIdx.x >> 5;
    int kv_dim = kv_heads * head_dim;
    int first = blockIdx.x * 64 + warp * 8;
    for (int j = 0; j < 8; j++) {
        int n = first + j;
        if (n >= count) break;
        int dist = query_position - key_positions[n];
        bool visible = dist >= 0 && (window == 0 || dist < window);
        const float* kn = k + (long long)n * kv_dim + (long long)kvh * head_dim;
        for (int g = 0; g < group; g++) {
            float acc = 0.f;
            if (visible) {
                for (int d = lane; d < head_dim; d += 32) acc = fmaf(qs[g * head_dim + d], kn[d], acc);
            }
            acc = warp_sum(acc);
            if (lane == 0) logits[(long long)(kvh * group + g) * count + n] = visible ? acc * scale : krn_neg_inf();
        }
    }
}

// Partial attention probe, phase 2: scores[n] += softmax_n(logits[h]) / heads for one head per block
// (scores zeroed first; the heads add atomically). Launch: grid = heads, block = 1024, static shared 128 B.
extern "C" __global__ void probe_softmax(const float* logits, float* scores, int count, int heads) {
    __shared__ float sh[32];
    const float* lh = logits + (long long)blockIdx.x * count;
    float local_max = krn_neg_inf();
    for (int n = threadIdx.x; n < count; n += blockDim.x) local_max = fmaxf(local_max, lh[n]);
    float m = block_max(local_max, sh);
    float local_sum = 0.f;
    for (int n = threadIdx.x; n < count; n += blockDim.x) {
        float s = lh[n];
        local_sum += s == krn_neg_inf() ? 0.f : expf(s - m);
    }
    float inv = 1.f / (block_sum(local_sum, sh) * heads);
    for (int n = threadIdx.x; n < count; n += blockDim.x) {
        float s = lh[n];
        if (s != krn_neg_inf()) atomicAdd(&scores[n], expf(s - m) * inv);
    }
}

// out[r] = sqrt(sum_c x[r][c]^2) (the LTP proxy's output norm per candidate).
// Launch: grid = rows, block = 256, static shared 128 B.
extern "C" __global__ void row_norms(const float* x, float* out, int rows, int cols) {
    __shared__ float sh[32];
    const float* xr = x + (long long)blockIdx.x * cols;
    float acc = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) acc = fmaf(xr[c], xr[c], acc);
    float total = block_sum(acc, sh);
    if (threadIdx.x == 0) out[blockIdx.x] = sqrtf(total);
}

// ----------------------------------------------------------------------------------
// LTP on the device: the proxy's input, its SwiGLU, the FFN score and the top-M choice,
// so that a skipping layer sends only the chosen rows back to the host.
// ----------------------------------------------------------------------------------

// out[i] = rmsnorm(x[rows[i]]) * weight: gather_rows and rms_norm in one pass (the same
// arithmetic as rms_norm on the gathered row), so the candidates' rows are read once. When
// out_bf16 is not null it also gets bf16(out[i]) — what convert_f32_to_bf16 would make of it —
// so the GEMM that reads these rows next needs no conversion pass.
// Launch: grid = count, block = 256 (any multiple of 32 up to 1024), static shared 128 B.
extern "C" __global__ void gather_rms_norm(const float* x, const int* rows, const float* weight, float* out,
        unsigned short* out_bf16, int count, int cols, float eps) {
    const int i = blockIdx.x;
    if (i >= count) return;
    const float* xr = x + (long long)rows[i] * cols;
    float* orow = out + (long long)i * cols;
    const float inv = rms_inv(xr, cols, eps);
    if (out_bf16 != nullptr) {
        unsigned short* brow = out_bf16 + (long long)i * cols;
        for (int c = threadIdx.x; c < cols; c += blockDim.x) {
            const float v = xr[c] * inv * weight[c];
            orow[c] = v;
            brow[c] = f32_to_bf16(v);
        }
    } else {
        for (int c = threadIdx.x; c < cols; c += blockDim.x) orow[c] = xr[c] * inv * weight[c];
    }
}

// out[r][c] = silu(in[r][c]) * in[r][half + c] for c < half: the SwiGLU of a GEMM whose output
// holds gate and up side by side (the LTP proxy's fused expansion). out must not alias in.
// Launch: grid-stride over rows*half, block 256, no shared memory.
extern "C" __global__ void swiglu_halves(const float* in, float* out, int rows, int half) {
    const long long n = (long long)rows * half;
    for (long long i = grid_stride_start(); i < n; i += grid_stride_step()) {
        const long long r = i / half;
        const long long c = i - r * half;
        const float g = in[r * 2 * half + c];
        out[i] = g / (1.0f + expf(-g)) * in[r * 2 * half + half + c];
    }
}

// out[r] = sqrt(sum_c x[r][c]^2) * factors[r] (factors may be null: 1). The FFN score
// ||f(x)|| * S_MHA of the LTP candidates, left on the device for select_top_rows.
// Launch: grid = rows, block = 256, static shared 128 B.
extern "C" __global__ void row_norms_scaled(const float* x, const float* factors, float* out, int rows, int cols) {
    __shared__ float sh[32];
    if ((int)blockIdx.x >= rows) return;
    const float* xr = x + (long long)blockIdx.x * cols;
    float acc = 0.f;
    for (int c = threadIdx.x; c < cols; c += blockDim.x) acc = fmaf(xr[c], xr[c], acc);
    float total = block_sum(acc, sh);
    if (threadIdx.x == 0) {
        float norm = sqrtf(total);
        out[blockIdx.x] = factors != nullptr ? norm * factors[blockIdx.x] : norm;
    }
}

// Sort key of a score: smaller is better. Higher scores first, NaN as -inf (last); unsigned so
// that a radix pass can bucket it. The row index breaks ties (lower first) outside the key.
__device__ __forceinline__ unsigned int select_key(float s) {
    if (s != s) s = krn_neg_inf();
    int bits = __float_as_int(s);
    int ordered = bits ^ ((bits >> 31) & 0x7fffffff);   // ascending with the float
    return ((unsigned int)~ordered) ^ 0x80000000u;      // descending score, as unsigned
}

// Exclusive prefix sum over the block (blockDim.x a multiple of 32, <= 1024); `total` gets the
// block's sum. `sh` must hold 32 ints; reusable afterwards.
__device__ __forceinline__ int block_exclusive_scan(int v, int* sh, int* total) {
    const int lane = threadIdx.x & 31, warp = threadIdx.x >> 5, nw = blockDim.x >> 5;
    int x = v;
    for (int o = 1; o < 32; o <<= 1) {
        int y = __shfl_up_sync(0xffffffffu, x, o);
        if (lane >= o) x += y;
    }
    if (lane == 31) sh[warp] = x;
    __syncthreads();
    int before = 0, all = 0;
    for (int w = 0; w < nw; ++w) {
        if (w < warp) before += sh[w];
        all += sh[w];
    }
    __syncthreads();
    *total = all;
    return before + x - v;
}

// The active rows of a layer, as the host's TopSelector chooses them: the forced rows (the last
// row n-1, sinks [0, sink_end), recent [recent_begin, n-1)) and then the `need` best other rows by
// score (ties: the lower row; NaN last). Writes the chosen rows ascending to out and their number
// to out_count. The host works out the forced ranges and `need` (they depend only on n and the
// budget). A radix select on the 32-bit keys finds the need-th best key T; rows better than T are
// taken and, of the rows equal to T, the first ones in row order.
// Launch: grid = 1, block = 1024, static shared ~1.2 KB.
extern "C" __global__ void __launch_bounds__(1024) select_top_rows(const float* scores, int n, int need, int sink_end,
        int recent_begin, int* out, int* out_count) {
    __shared__ unsigned int hist[256];
    __shared__ unsigned int s_prefix, s_mask;
    __shared__ int s_rank;
    __shared__ int sh[32];
    const int tid = threadIdx.x;
    if (tid == 0) {
        s_prefix = 0u;
        s_mask = 0u;
        s_rank = need;
    }
    __syncthreads();
    if (need > 0) {
        for (int shift = 24; shift >= 0; shift -= 8) {
            for (int b = tid; b < 256; b += blockDim.x) hist[b] = 0u;
            __syncthreads();
            const unsigned int prefix = s_prefix, mask = s_mask;
            for (int i = tid; i < n; i += blockDim.x) {
                const bool forced = i == n - 1 || i < sink_end || i >= recent_begin;
                if (forced) continue;
                const unsigned int u = select_key(scores[i]);
                if ((u & mask) == prefix) atomicAdd(&hist[(u >> shift) & 255u], 1u);
            }
            __syncthreads();
            if (tid == 0) {
                int rank = s_rank, d = 0;
                while (d < 255 && (int)hist[d] < rank) rank -= (int)hist[d++];
                s_rank = rank;
                s_prefix = prefix | ((unsigned int)d << shift);
                s_mask = mask | (255u << shift);
            }
            __syncthreads();
        }
    }
    // s_prefix is the need-th best key; s_rank of the rows with exactly that key are taken.
    const unsigned int threshold = s_prefix;
    const int ties_taken = need > 0 ? s_rank : 0;
    int ties_before = 0, chosen_before = 0;
    for (int base = 0; base < n; base += blockDim.x) {
        const int i = base + tid;
        int chosen = 0, tie = 0;
        if (i < n) {
            const bool forced = i == n - 1 || i < sink_end || i >= recent_begin;
            if (forced) {
                chosen = 1;
            } else if (need > 0) {
                const unsigned int u = select_key(scores[i]);
                chosen = u < threshold;
                tie = u == threshold;
            }
        }
        // One scan of both counts: rows chosen outright in the low half, ties in the high half.
        int total;
        const int packed = block_exclusive_scan(chosen | (tie << 16), sh, &total);
        const int tie_rank = ties_before + (packed >> 16);
        const bool take = chosen || (tie && tie_rank < ties_taken);
        if (take) out[chosen_before + (packed & 0xffff) + min(tie_rank, ties_taken)] = i;
        ties_before += total >> 16;
        chosen_before += total & 0xffff;
    }
    if (tid == 0) *out_count = chosen_before + min(ties_before, ties_taken);
}
