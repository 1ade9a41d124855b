#!/usr/bin/env python3
"""Measured hardware ceilings for one CUDA device (bf16 GEMM rate, memory bandwidth).

(a) bf16 GEMM: torch.matmul(A[M,K], B[K,N]) at shapes of a Llama-3.1-8B prefill
    (M = 8192 tokens): (K=4096,N=4096) ~ q/o projections, (K=4096,N=14336) ~ gate/up,
    (K=14336,N=4096) ~ down, plus an 8192^3 square. Random data, warm-ups, then
    the median of timed iterations with CUDA events. TFLOP/s = 2*M*N*K / t / 1e12.
(b) copy bandwidth: dst.copy_(src) of a 4 GiB buffer, (bytes read + bytes written) / t,
    median; read bandwidth: x.sum() over a 4 GiB bf16 tensor, bytes read / t, median.

Output: human-readable progress on stderr; one JSON object on the LAST line of stdout.

Example:
  python3 tools/gpu/floors.py
  python3 tools/gpu/floors.py --copy-gib 1 --iters 5     # quicker
"""

import argparse
import gc
import json
import os
import statistics
import sys
import time
import traceback

_REAL_STDOUT = sys.stdout
sys.stdout = sys.stderr  # keep stdout for the final JSON line only

_T_START = time.perf_counter()
GIB = 1024 ** 3


def log(msg):
    sys.stderr.write("[floors %6.1fs] %s\n" % (time.perf_counter() - _T_START, msg))
    sys.stderr.flush()


def emit_json(obj):
    _REAL_STDOUT.write(json.dumps(obj) + "\n")
    _REAL_STDOUT.flush()


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--m", type=int, default=8192, help="GEMM M (tokens) for the model shapes (default %(default)s)")
    p.add_argument("--square", type=int, default=8192, help="square GEMM size (default %(default)s)")
    p.add_argument("--warmup", type=int, default=3, help="untimed iterations per test (default %(default)s)")
    p.add_argument("--iters", type=int, default=10, help="timed iterations per test; median reported (default %(default)s)")
    p.add_argument("--copy-gib", type=float, default=4.0, help="buffer size in GiB for copy/read tests (default %(default)s)")
    p.add_argument("--seed", type=int, default=0)
    return p.parse_args()


def time_cuda(torch, fn, warmup, iters):
    """Per-iteration GPU times (seconds) measured with CUDA events on the current stream."""
    for _ in range(warmup):
        fn()
    torch.cuda.synchronize()
    starts = [torch.cuda.Event(enable_timing=True) for _ in range(iters)]
    ends = [torch.cuda.Event(enable_timing=True) for _ in range(iters)]
    for i in range(iters):
        starts[i].record()
        fn()
        ends[i].record()
    torch.cuda.synchronize()
    return [s.elapsed_time(e) / 1000.0 for s, e in zip(starts, ends)]


def free(torch):
    gc.collect()
    torch.cuda.synchronize()
    torch.cuda.empty_cache()


def gemm_tests(torch, args, result):
    M = args.m
    shapes = [
        ("M%d_K4096_N4096" % M, M, 4096, 4096),
        ("M%d_K4096_N14336" % M, M, 4096, 14336),
        ("M%d_K14336_N4096" % M, M, 14336, 4096),
        ("square_%d" % args.square, args.square, args.square, args.square),
    ]
    g = torch.Generator(device="cuda")
    g.manual_seed(args.seed)
    for name, m, k, n in shapes:
        try:
            a = torch.randn(m, k, device="cuda", dtype=torch.bfloat16, generator=g)
            b = torch.randn(k, n, device="cuda", dtype=torch.bfloat16, generator=g)
            c = torch.empty(m, n, device="cuda", dtype=torch.bfloat16)

            def fn():
                torch.matmul(a, b, out=c)

            times = time_cuda(torch, fn, args.warmup, args.iters)
            t = statistics.median(times)
            flops = 2.0 * m * n * k
            tflops = flops / t / 1e12
            result["gemm_tflops"][name] = round(tflops, 2)
            result["gemm_detail"][name] = {
                "M": m, "K": k, "N": n,
                "median_ms": round(t * 1e3, 4),
                "min_ms": round(min(times) * 1e3, 4),
                "max_ms": round(max(times) * 1e3, 4),
                "tflops_at_min_time": round(flops / min(times) / 1e12, 2),
                "finite": bool(torch.isfinite(c).all().item()),
            }
            log("gemm %-20s %.3f ms median -> %.1f TFLOP/s (best %.1f)"
                % (name, t * 1e3, tflops, flops / min(times) / 1e12))
            del a, b, c
        except Exception as exc:
            log("gemm %s failed: %r" % (name, exc))
            traceback.print_exc(file=sys.stderr)
            result["errors"].append("gemm %s: %s: %s" % (name, type(exc).__name__, exc))
        free(torch)
    if result["gemm_tflops"]:
        result["gemm_tflops_max"] = max(result["gemm_tflops"].values())


def bandwidth_tests(torch, args, result):
    nbytes = int(args.copy_gib * GIB)
    numel = nbytes // 2  # bf16 elements
    nbytes = numel * 2
    # Copy: read nbytes + write nbytes.
    try:
        src = torch.empty(numel, device="cuda", dtype=torch.bfloat16)
        src.fill_(1.0)
        dst = torch.empty_like(src)

        def copy():
            dst.copy_(src)

        times = time_cuda(torch, copy, args.warmup, args.iters)
        t = statistics.median(times)
        gbs = 2.0 * nbytes / t / 1e9
        result["copy_gbs"] = round(gbs, 1)
        result["copy_detail"] = {
            "bytes_each_way": nbytes, "median_ms": round(t * 1e3, 4), "min_ms": round(min(times) * 1e3, 4),
            "gbs_at_min_time": round(2.0 * nbytes / min(times) / 1e9, 1),
        }
        log("copy %.2f GiB: %.3f ms median -> %.1f GB/s (read+write)" % (nbytes / GIB, t * 1e3, gbs))
        del dst
    except Exception as exc:
        log("copy test failed: %r" % (exc,))
        traceback.print_exc(file=sys.stderr)
        result["errors"].append("copy: %s: %s" % (type(exc).__name__, exc))
        src = None
    free(torch)

    # Read-only: x.sum() over nbytes of bf16 (fp32 accumulation, scalar output).
    try:
        if src is None:
            src = torch.ones(numel, device="cuda", dtype=torch.bfloat16)
        out_holder = []

        def read():
            out_holder.append(src.sum())
            if len(out_holder) > 4:
                out_holder.pop(0)

        times = time_cuda(torch, read, args.warmup, args.iters)
        t = statistics.median(times)
        gbs = nbytes / t / 1e9
        result["read_gbs"] = round(gbs, 1)
        result["read_detail"] = {
            "bytes_read": nbytes, "median_ms": round(t * 1e3, 4), "min_ms": round(min(times) * 1e3, 4),
            "gbs_at_min_time": round(nbytes / min(times) / 1e9, 1),
            "sum_value": float(out_holder[-1].item()) if out_holder else None,
        }
        log("read (sum) %.2f GiB: %.3f ms median -> %.1f GB/s" % (nbytes / GIB, t * 1e3, gbs))
        del out_holder
    except Exception as exc:
        log("read test failed: %r" % (exc,))
        traceback.print_exc(file=sys.stderr)
        result["errors"].append("read: %s: %s" % (type(exc).__name__, exc))
    src = None
    free(torch)


def main():
    args = parse_args()
    if args.iters < 1 or args.warmup < 0:
        sys.stderr.write("need --iters >= 1 and --warmup >= 0\n")
        return 2
    result = {
        "torch": None,
        "device": None,
        "gemm_tflops": {},
        "gemm_tflops_max": None,
        "copy_gbs": None,
        "read_gbs": None,
        "gemm_detail": {},
        "copy_detail": {},
        "read_detail": {},
        "method": {
            "timer": "CUDA events around each iteration; median of timed iterations after warm-up",
            "warmup": args.warmup,
            "iters": args.iters,
            "gemm": "torch.matmul(A[M,K], B[K,N], out=C), bf16 in/out, randn data; TFLOP/s = 2*M*N*K/t/1e12",
            "copy": "dst.copy_(src), bf16, %g GiB each; GB/s = 2*bytes/t/1e9 (read+write)" % args.copy_gib,
            "read": "x.sum() over %g GiB bf16; GB/s = bytes/t/1e9" % args.copy_gib,
            "units": "GB = 1e9 bytes; TFLOP = 1e12 flop",
        },
        "errors": [],
    }
    rc = 0
    try:
        import torch

        result["torch"] = torch.__version__
        result["cuda"] = torch.version.cuda
        if not torch.cuda.is_available():
            raise RuntimeError("CUDA is not available")
        props = torch.cuda.get_device_properties(0)
        result["device"] = torch.cuda.get_device_name(0)
        result["device_mem_gib"] = round(props.total_memory / GIB, 2)
        result["sm_count"] = props.multi_processor_count
        log("torch %s (cuda %s), device %s, %d SMs, %.1f GiB"
            % (torch.__version__, torch.version.cuda, result["device"], props.multi_processor_count,
               props.total_memory / GIB))
        with torch.inference_mode():
            gemm_tests(torch, args, result)
            bandwidth_tests(torch, args, result)
        if result["errors"]:
            rc = 1
    except BaseException as exc:
        log("FATAL: %r" % (exc,))
        traceback.print_exc(file=sys.stderr)
        result["errors"].append("fatal: %s: %s" % (type(exc).__name__, exc))
        rc = 2
    result["elapsed_s"] = round(time.perf_counter() - _T_START, 2)
    emit_json(result)
    return rc


if __name__ == "__main__":
    sys.exit(main())
