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
