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

// Row r of k / v (kv_dim wide) into one layer of the paged cache as bf16, tagged positions[r]: sequence
// s = kv_rows[3r], logical slot filled[s * layers] + kv_rows[3r + 1] (KvPages; `filled` and `tables`
// start at the layer's entries). The host checks that every slot lies in its sequence's table.
// Launch: grid = min(rows, max grid) (block-stride over rows), block 256, no shared memory.
extern "C" __global__ void store_kv(const float* k, const float* v, unsigned short* k_cache, unsigned short* v_cache,
                                    int* slot_positions, const int* positions, const int* kv_rows, const int* filled,
                                    const int* tables, int rows, int kv_dim, int layers, int max_blocks,
                                    int block_shift) {
    for (int r = blockIdx.x; r < rows; r += gridDim.x) {
        const int s = kv_rows[3 * r];
        const int j = filled[(long long)s * layers] + kv_rows[3 * r + 1];
        const int p = kv_slot(tables + (long long)s * max_blocks * layers, layers, block_shift, j);
        const long long src = (long long)r * kv_dim, dst = (long long)p * kv_dim;
        for (int c = threadIdx.x; c < kv_dim; c += blockDim.x) {
            k_cache[dst + c] = f32_to_bf16(k[src + c]);
            v_cache[dst + c] = f32_to_bf16(v[src + c]);
        }
        if (threadIdx.x == 0) slot_positions[p] = positions[r];
    }
}

