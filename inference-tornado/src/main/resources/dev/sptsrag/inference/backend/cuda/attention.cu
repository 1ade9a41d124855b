// ----------------------------------------------------------------------------------
// Attention, common rule: query row r (position qpos[r]) of head h reads kv head
// h / (heads / kv_heads); logical slot j < slot_count of the row's sequence, pool slot
// s = kv_slot(table, layers, shift, j) (common.cuh), is visible iff
//   slot_positions[s] <= qpos[r] && (window == 0 || qpos[r] - slot_positions[s] < window).
// Softmax over visible slots of scale * dot(q, k_s); out = sum p_s v_s; zeros if none.
// Slots are visited in logical order, so a sequence's result does not depend on where its
// blocks are.
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
                                                       const int* table, int layers, int shift, const int* qpos,
                                                       int row, int head, int heads, int kv_heads, int head_dim,
                                                       float scale, int window, int s_begin, int s_end) {
    __shared__ float qs[256];
    __shared__ float ps[128];
    __shared__ int pool_slot[128];  // the chunk's pool slots, for P.V
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
        const int j = base + tid;
        float sc = krn_neg_inf();
        if (j < s_end) {
            const int s = kv_slot(table, layers, shift, j);
            pool_slot[tid] = s;  // published by block_max's barriers
            if (slot_visible(slot_positions[s], qp, window)) {
                sc = dot_q_bf16(qs, kbase + (long long)s * kv_dim, head_dim) * scale;
            }
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
            const unsigned short* vrow = vbase + (long long)pool_slot[i] * kv_dim;
            if (d0 < head_dim) a0 = fmaf(pi, bf16_to_f32(vrow[d0]), a0);
            if (d1 < head_dim) a1 = fmaf(pi, bf16_to_f32(vrow[d1]), a1);
        }
        st.acc0 = a0;
        st.acc1 = a1;
        __syncthreads();  // ps[] is rewritten by the next chunk
    }
    return st;
}

// Reference attention for any head_dim <= 256 (fp32, simple): rows of one sequence, whose
// block table for the layer starts at `table`, over its first slot_count slots.
// Launch: grid = (rows, heads), block = 128, static shared ~2.2 KB.
extern "C" __global__ void __launch_bounds__(128) attention_generic(const float* q, const unsigned short* k_cache,
                                                                   const unsigned short* v_cache, const int* slot_positions,
                                                                   const int* qpos, float* out, const int* table,
                                                                   int rows, int slot_count, int heads, int kv_heads,
                                                                   int head_dim, float scale, int window, int layers,
                                                                   int block_shift) {
    const int row = blockIdx.x, head = blockIdx.y;
    if (row >= rows || head >= heads) return;
    const AttnState st = attend_range_fp32(q, k_cache, v_cache, slot_positions, table, layers, block_shift, qpos, row,
                                           head, heads, kv_heads, head_dim, scale, window, 0, slot_count);
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
                                                 const int* table, int layers, int shift, const int* qpos, int row,
                                                 int head, int heads, int kv_heads, int head_dim, float scale,
                                                 int window, int s_begin, int s_end, float* po, float* pmax,
                                                 float* psum) {
    __shared__ float sc[256];
    __shared__ int pool_slot[256];  // the chunk's pool slots, for P.V
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
            const long long s = valid ? kv_slot(table, layers, shift, base + i) : 0;
            int sp = 0;
            if (valid && li == 0) {
                sp = slot_positions[s];
                pool_slot[i] = (int)s;
            }
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
                const uint4 w = *(const uint4*)(vbase + (long long)pool_slot[i] * kv_dim + pc * 8);
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

// Flash-decoding, phase 1: block (split, head, row) attends over logical slots
// [split*slots_per_split, min(+slots_per_split, slot_count)) of the row's own sequence: KvPages,
// sequence kv_rows[3*row], slot_count = filled[seq * layers] + kv_rows[3*row + 2] (`filled` and
// `tables` start at the layer's entries). With splits = gridDim.x and idx = (row*heads + head)*splits
// + split it writes
//   partial_out[idx*head_dim + d] = sum exp(s - m) v_s[d] (un-normalised),
//   partial_max[idx] = m (-inf if nothing visible), partial_sum[idx] = sum exp(s - m);
// a split past the row's slots writes only m = -inf and sum 0, which the merge skips. Rows whose
// step adds more than max_run_rows slots to their sequence (a prefill chunk, whose rows are that
// many) are another launch's: nothing is written.
// head_dim % 8 == 0 takes the vectorised path (16-byte aligned cache rows), other sizes the scalar
// one. Launch: grid = (splits for the longest row, heads, rows), block = 128, static shared ~8 KB;
// head_dim <= 256.
extern "C" __global__ void __launch_bounds__(128) attention_decode_partial(
    const float* q, const unsigned short* k_cache, const unsigned short* v_cache, const int* slot_positions,
    const int* qpos, const int* kv_rows, const int* filled, const int* tables, float* partial_out,
    float* partial_max, float* partial_sum, int rows, int max_run_rows, int heads, int kv_heads, int head_dim,
    float scale, int window, int slots_per_split, int layers, int max_blocks, int block_shift) {
    const int split = blockIdx.x, head = blockIdx.y, row = blockIdx.z;
    const int splits = gridDim.x;
    if (row >= rows || head >= heads) return;
    const int count = kv_rows[3 * row + 2];
    if (count > max_run_rows) return;
    const int seq = kv_rows[3 * row];
    const int slot_count = filled[(long long)seq * layers] + count;
    const int* table = tables + (long long)seq * max_blocks * layers;
    const int s_begin = split * slots_per_split;
    const int s_end = min(slot_count, s_begin + slots_per_split);
    const long long idx = ((long long)row * heads + head) * splits + split;
    const int tid = threadIdx.x;
    if (s_begin >= slot_count) {
        if (tid == 0) {
            partial_max[idx] = krn_neg_inf();
            partial_sum[idx] = 0.0f;
        }
        return;
    }
    float* po = partial_out + idx * head_dim;
    if ((head_dim & 7) == 0) {
        decode_range_vec(q, k_cache, v_cache, slot_positions, table, layers, block_shift, qpos, row, head, heads,
                         kv_heads, head_dim, scale, window, s_begin, s_end, po, partial_max + idx, partial_sum + idx);
        return;
    }
    const AttnState st = attend_range_fp32(q, k_cache, v_cache, slot_positions, table, layers, block_shift, qpos, row,
                                           head, heads, kv_heads, head_dim, scale, window, s_begin, s_end);
    if (tid < head_dim) po[tid] = st.acc0;
    if (tid + 128 < head_dim) po[tid + 128] = st.acc1;
    if (tid == 0) {
        partial_max[idx] = st.m;
        partial_sum[idx] = st.l;
    }
}

// Flash-decoding, phase 2: merges the splits of one (row, head):
// out[row][head*head_dim + d] = sum_i e^(m_i-M) o_i[d] / sum_i e^(m_i-M) l_i, zeros if all empty.
// Rows the partial kernel left to another launch (more than max_run_rows slots added) are not written.
// Launch: grid = (heads, rows), block = head_dim rounded up to a multiple of 32, no shared memory.
extern "C" __global__ void attention_decode_combine(const float* partial_out, const float* partial_max,
                                                    const float* partial_sum, const int* kv_rows, float* out, int rows,
                                                    int max_run_rows, int heads, int head_dim, int splits) {
    const int head = blockIdx.x, row = blockIdx.y, d = threadIdx.x;
    if (row >= rows || head >= heads || d >= head_dim) return;
    if (kv_rows[3 * row + 2] > max_run_rows) return;
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
// block (KRN_INT_MAX where the column is padding, i.e. >= BN or >= slot_count). The table is
// read only below slot_count: entries past the sequence's blocks are not its own.
template <int BN>
__device__ __forceinline__ int2 load_block_pos(const int* slot_positions, const int* table, int layers, int shift,
                                               int jb, int slot_count, int lane) {
    int2 p = make_int2(KRN_INT_MAX, KRN_INT_MAX);
    const int c = jb * BN + 2 * lane;
    if (2 * lane < BN && c < slot_count) {
        const int s = kv_slot(table, layers, shift, c);
        p.x = slot_positions[s];
        // c is even: c + 1 is in the same block unless blocks hold one slot
        if (c + 1 < slot_count) p.y = slot_positions[shift > 0 ? s + 1 : kv_slot(table, layers, shift, c + 1)];
    }
    return p;
}

// Flash attention forward for head_dim HD (64 or 128), key blocks of BN slots.
// KST / VST = number of K / V shared-memory buffers (1 or 2). SWZ: rows unpadded with an
// XOR swizzle of the 16-byte chunks (chunk c of row r is stored at c ^ (r & 7)), else rows
// padded by 16 bytes; both make ldmatrix conflict-free.
// Block = 128 threads = 4 warps; the block owns 64 query rows of one head (warp w owns
// rows 16w..16w+15). Q is converted to bf16 once and kept in registers as mma A
// fragments. K/V tiles (BN x HD bf16) arrive by 16-byte cp.async, each slot's row from its
// pool slot through the block table (a tile may straddle blocks; slots >= slot_count are
// zero-filled and their table entries not read); with two K buffers the next K tile is in
// flight for a whole key block. Key blocks whose slots are invisible to every row of the tile are skipped
// (min/max slot position of the block vs min/max query position of the tile, warp-local
// reductions that give the same answer in every warp); blocks visible to every row skip
// the per-element mask. S = QK^T and O += PV use mma.m16n8k16 (bf16 in, fp32 accumulate);
// online softmax in fp32 (base 2); P is rounded to bf16 and the row sums use the rounded
// values. Heavy (late) query tiles are scheduled first.
template <int HD, int BN, int KST, int VST, bool SWZ>
__device__ __forceinline__ void flash_prefill(const float* __restrict__ q, const unsigned short* __restrict__ k_cache,
                                              const unsigned short* __restrict__ v_cache,
                                              const int* __restrict__ slot_positions, const int* __restrict__ qpos,
                                              float* __restrict__ out, const int* __restrict__ table, int rows,
                                              int slot_count, int heads, int kv_heads, float scale, int window,
                                              int layers, int shift) {
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
            p = load_block_pos<BN>(slot_positions, table, layers, shift, jb, slot_count, lane);
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
            const int j = jb * BN + r;
            const bool ok = j < slot_count;
            const unsigned short* gp = src + (long long)(ok ? kv_slot(table, layers, shift, j) : 0) * kv_ld + ch * 8;
            cp_async_16(dst_base + (unsigned int)el(r, ch) * 2u, gp, ok ? 16 : 0);
        }
    };
    auto k_buf = [&](int st) -> unsigned int { return smem_base + (unsigned int)(st * TILE) * 2u; };
    auto v_buf = [&](int st) -> unsigned int { return smem_base + (unsigned int)((KST + st) * TILE) * 2u; };

    int2 cur_pos, nxt_pos = make_int2(KRN_INT_MAX, KRN_INT_MAX);
    bool cur_full = false, nxt_full = false;
    int j = classify(0, load_block_pos<BN>(slot_positions, table, layers, shift, 0, slot_count, lane), cur_pos,
                     cur_full);
    int jn = nblocks;
    int st = 0;  // buffer of block j when double-buffered
    if (j < nblocks) {
        load_tile(k_buf(0), kg, j);
        if constexpr (VST == 2) load_tile(v_buf(0), vg, j);
    }
    cp_async_commit();
    if constexpr (KST == 2) {
        if (j < nblocks)
            jn = classify(j + 1, load_block_pos<BN>(slot_positions, table, layers, shift, j + 1, slot_count, lane),
                          nxt_pos, nxt_full);
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
        const int2 pref =
            load_block_pos<BN>(slot_positions, table, layers, shift, (KST == 2 ? jn : j) + 1, slot_count, lane);

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

// Tensor-core flash attention, head_dim 64: rows of one sequence, whose block table for the
// layer starts at `table`, over its first slot_count slots. q/out: float32 [rows, heads*64]
// (16-byte aligned rows); pool: bf16 [slots, kv_heads*64] (16-byte aligned base).
// Launch: grid = (ceil(rows/64), heads), block = 128, dynamic shared = 0
// (static shared 32 KB: 2 x (K + V) tiles of 64 slots x 64 bf16, swizzled).
extern "C" __global__ void __launch_bounds__(128, KRN_PREFILL64_MINBLOCKS) attention_prefill_hd64(
    const float* q, const unsigned short* k_cache, const unsigned short* v_cache, const int* slot_positions,
    const int* qpos, float* out, const int* table, int rows, int slot_count, int heads, int kv_heads, float scale,
    int window, int layers, int block_shift) {
    flash_prefill<64, KRN_HD64_BN, KRN_HD64_KST, KRN_HD64_VST, KRN_HD64_SWZ>(
        q, k_cache, v_cache, slot_positions, qpos, out, table, rows, slot_count, heads, kv_heads, scale, window,
        layers, block_shift);
}

// Tensor-core flash attention, head_dim 128 (same contract as the hd64 kernel).
// Launch: grid = (ceil(rows/64), heads), block = 128, dynamic shared = 0
// (static shared 48 KB: 2 K tiles + 1 V tile of 64 slots x 128 bf16, swizzled).
extern "C" __global__ void __launch_bounds__(128, KRN_PREFILL128_MINBLOCKS) attention_prefill_hd128(
    const float* q, const unsigned short* k_cache, const unsigned short* v_cache, const int* slot_positions,
    const int* qpos, float* out, const int* table, int rows, int slot_count, int heads, int kv_heads, float scale,
    int window, int layers, int block_shift) {
    flash_prefill<128, KRN_HD128_BN, KRN_HD128_KST, KRN_HD128_VST, KRN_HD128_SWZ>(
        q, k_cache, v_cache, slot_positions, qpos, out, table, rows, slot_count, heads, kv_heads, scale, window,
        layers, block_shift);
}

