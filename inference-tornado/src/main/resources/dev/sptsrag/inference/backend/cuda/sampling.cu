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

