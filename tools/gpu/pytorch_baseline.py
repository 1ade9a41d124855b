#!/usr/bin/env python3
"""PyTorch / Hugging Face transformers baseline for a Llama-3.1-8B-shaped model.

What a user would pick: ``transformers.LlamaForCausalLM`` with the Llama-3.1-8B
configuration, random weights (no download), bf16, ``attn_implementation="sdpa"``,
on one CUDA device, batch size 1.

Measures
  * TTFT at each prompt length: one forward over the whole prompt
    (use_cache=True, logits_to_keep=1) + argmax of the last logits.
  * Decode tokens/s at each context C: prefill C tokens (untimed), then a
    hand-written greedy loop of --decode-tokens single-token steps with the
    KV cache (what HF generate does per step); only the loop is timed.
  * Optionally the same decode rate through ``model.generate`` (extra field).
  * Peak device memory per measurement (torch.cuda.max_memory_allocated,
    reset before each measurement; includes the weights).

Output: human-readable progress on stderr; one JSON object on the LAST line of
stdout (nothing else is written to stdout).

Example:
  python3 tools/gpu/pytorch_baseline.py                       # full run
  python3 tools/gpu/pytorch_baseline.py --layers 2 \
      --prompt-lengths 512,1024 --decode-contexts 256 --decode-tokens 8   # smoke
"""

import argparse
import contextlib
import gc
import inspect
import json
import math
import os
import statistics
import sys
import time
import traceback

# No network on the target machine: never try the Hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

# Keep the real stdout for the final JSON line only; everything else (including
# any library print) goes to stderr.
_REAL_STDOUT = sys.stdout
sys.stdout = sys.stderr

_T_START = time.perf_counter()

GIB = 1024 ** 3


def log(msg):
    sys.stderr.write("[pytorch_baseline %7.1fs] %s\n" % (time.perf_counter() - _T_START, msg))
    sys.stderr.flush()


def emit_json(obj):
    _REAL_STDOUT.write(json.dumps(obj, sort_keys=False) + "\n")
    _REAL_STDOUT.flush()


def parse_int_list(text):
    return [int(x) for x in text.replace(" ", "").split(",") if x]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--prompt-lengths", default="4096,8192,16384,32768",
                   help="comma-separated prompt lengths for TTFT (default %(default)s)")
    p.add_argument("--decode-contexts", default="1024,32768",
                   help="comma-separated context lengths for decode tokens/s (default %(default)s)")
    p.add_argument("--decode-tokens", type=int, default=64,
                   help="greedy decode steps timed per decode run (default %(default)s)")
    p.add_argument("--warmup", type=int, default=1,
                   help="untimed runs per prompt length / decode context (default %(default)s)")
    p.add_argument("--runs", type=int, default=2,
                   help="timed runs per prompt length / decode context; the median is reported (default %(default)s)")
    p.add_argument("--layers", type=int, default=None,
                   help="override num_hidden_layers (e.g. 2 for a quick smoke run; default 32)")
    p.add_argument("--seed", type=int, default=0, help="seed for weights and token ids (default %(default)s)")
    p.add_argument("--no-generate", action="store_true",
                   help="skip the extra model.generate decode measurement")
    p.add_argument("--budget-s", type=float, default=240.0,
                   help="soft wall-clock budget; when exceeded, remaining measurements drop to "
                        "0 warm-up / 1 timed run and generate is skipped (default %(default)s)")
    return p.parse_args()


def main():
    args = parse_args()
    if args.decode_tokens < 1 or args.runs < 1 or args.warmup < 0:
        sys.stderr.write("need --decode-tokens >= 1, --runs >= 1, --warmup >= 0\n")
        return 2
    result = {
        "torch": None,
        "transformers": None,
        "device": None,
        "config": {},
        "ttft_s": {},
        "prefill_tok_s": {},
        "decode_tok_s": {},
        "decode_ms_per_token": {},
        "generate_decode_tok_s": {},
        "peak_mem_gib": {},
        "runs_s": {},
        "method": {},
        "finite": {},
        "notes": [],
        "errors": [],
    }
    try:
        run(args, result)
        rc = 0 if not result["errors"] else 1
    except BaseException as exc:  # still emit machine-readable output
        log("FATAL: %r" % (exc,))
        traceback.print_exc(file=sys.stderr)
        sys.stderr.flush()
        result["errors"].append("fatal: %s: %s" % (type(exc).__name__, exc))
        rc = 2
    result["elapsed_s"] = round(time.perf_counter() - _T_START, 2)
    emit_json(result)
    return rc


# --------------------------------------------------------------------------- model


def build_config(transformers, num_layers):
    from transformers import LlamaConfig

    rope = {
        "rope_type": "llama3",
        "rope_theta": 500000.0,
        "factor": 8.0,
        "low_freq_factor": 1.0,
        "high_freq_factor": 4.0,
        "original_max_position_embeddings": 8192,
    }
    common = dict(
        vocab_size=128256,
        hidden_size=4096,
        intermediate_size=14336,
        num_hidden_layers=num_layers,
        num_attention_heads=32,
        num_key_value_heads=8,
        head_dim=128,
        hidden_act="silu",
        max_position_embeddings=131072,
        rms_norm_eps=1e-5,
        initializer_range=0.02,
        tie_word_embeddings=False,
        attention_bias=False,
        mlp_bias=False,
        use_cache=True,
        bos_token_id=128000,
        eos_token_id=128001,
    )
    try:
        major = int(str(transformers.__version__).split(".")[0])
    except ValueError:
        major = 5
    cfg = None
    if major >= 5:
        # transformers 5.x: RoPE settings live in `rope_parameters` (rope_theta inside).
        # (4.x would silently store an unknown `rope_parameters` kwarg, hence the version gate.)
        try:
            cfg = LlamaConfig(rope_parameters=dict(rope), **common)
            style = "rope_parameters"
        except TypeError as exc:
            log("LlamaConfig(rope_parameters=...) failed (%s); trying rope_theta/rope_scaling" % exc)
    if cfg is None:
        # transformers 4.x style (5.x also converts these legacy kwargs).
        legacy = {k: v for k, v in rope.items() if k != "rope_theta"}
        cfg = LlamaConfig(rope_theta=500000.0, rope_scaling=legacy, **common)
        style = "rope_theta+rope_scaling"
    # Check the RoPE settings actually landed.
    rp = getattr(cfg, "rope_parameters", None) or getattr(cfg, "rope_scaling", None) or {}
    rtype = rp.get("rope_type", rp.get("type"))
    theta = rp.get("rope_theta", getattr(cfg, "rope_theta", None))
    if rtype != "llama3" or theta is None or float(theta) != 500000.0:
        raise RuntimeError("RoPE config not applied as intended: %r (theta=%r)" % (rp, theta))
    try:
        cfg._attn_implementation = "sdpa"
    except Exception:
        try:
            cfg._attn_implementation_internal = "sdpa"
        except Exception:
            pass
    return cfg, style


def no_init_context():
    """Skip HF/torch weight init if the library offers it (we overwrite every weight anyway)."""
    try:
        from transformers.initialization import no_init_weights  # transformers 5.x
        return no_init_weights(), "transformers.initialization.no_init_weights"
    except Exception:
        pass
    try:
        from transformers.modeling_utils import no_init_weights  # transformers 4.x
        return no_init_weights(), "transformers.modeling_utils.no_init_weights"
    except Exception:
        pass
    return contextlib.nullcontext(), "none (default init on GPU)"


def build_model(torch, transformers, cfg, seed, result):
    from transformers import LlamaForCausalLM

    ctx, ctx_name = no_init_context()
    t0 = time.perf_counter()
    model = None
    how = None
    with torch.device("cuda"):
        with ctx:
            for kw in ({"dtype": torch.bfloat16}, {"torch_dtype": torch.bfloat16}):
                try:
                    model = LlamaForCausalLM._from_config(cfg, attn_implementation="sdpa", **kw)
                    how = "LlamaForCausalLM._from_config(%s=bfloat16, attn_implementation='sdpa')" % list(kw)[0]
                    break
                except TypeError as exc:
                    log("_from_config with %s failed: %s" % (list(kw)[0], exc))
            if model is None:
                prev = torch.get_default_dtype()
                torch.set_default_dtype(torch.bfloat16)
                try:
                    model = LlamaForCausalLM(cfg)
                finally:
                    torch.set_default_dtype(prev)
                how = "LlamaForCausalLM(config) under default dtype bfloat16"
    torch.cuda.synchronize()
    t_build = time.perf_counter() - t0

    # Make sure SDPA is the attention path.
    attn = getattr(model.config, "_attn_implementation", None)
    if attn != "sdpa":
        if hasattr(model, "set_attn_implementation"):
            model.set_attn_implementation("sdpa")
        else:
            model.config._attn_implementation = "sdpa"
        attn = getattr(model.config, "_attn_implementation", None)

    # Fill weights: N(0, 0.02) for matrices/embeddings, 1.0 for RMSNorm weights.
    t0 = time.perf_counter()
    gen = torch.Generator(device="cuda")
    gen.manual_seed(seed)
    n_params = 0
    with torch.no_grad():
        for name, p in model.named_parameters():
            if p.device.type != "cuda" or p.dtype != torch.bfloat16:
                p.data = p.data.to(device="cuda", dtype=torch.bfloat16)
            if p.dim() == 1:
                p.fill_(1.0)
            else:
                p.normal_(mean=0.0, std=0.02, generator=gen)
            n_params += p.numel()
    torch.cuda.synchronize()
    t_fill = time.perf_counter() - t0
    model.eval()

    # Guard: the RoPE inverse frequencies are a buffer computed at construction; make sure
    # skipping init did not leave them unset (compare with a freshly built rotary module).
    rot = getattr(model.model, "rotary_emb", None)
    rope_check = "no rotary_emb module found"
    if rot is not None and getattr(rot, "inv_freq", None) is not None:
        try:
            ref = type(rot)(config=model.config, device="cuda")
            same = (ref.inv_freq.shape == rot.inv_freq.shape and
                    bool(torch.allclose(ref.inv_freq.float(), rot.inv_freq.float())))
            if same:
                rope_check = "inv_freq matches a fresh rotary module"
            else:
                model.model.rotary_emb = ref
                rope_check = "inv_freq differed from a fresh rotary module: replaced"
                result["notes"].append("rotary_emb rebuilt after construction (inv_freq was not initialised)")
        except Exception as exc:
            rope_check = "check failed: %s: %s" % (type(exc).__name__, exc)
    result["config"]["rope_check"] = rope_check
    log("rope check: %s" % rope_check)

    tied = model.lm_head.weight.data_ptr() == model.model.embed_tokens.weight.data_ptr()
    inv_freq = getattr(getattr(model.model, "rotary_emb", None), "inv_freq", None)
    result["config"].update({
        "model_class": type(model).__name__,
        "built_with": how,
        "init_skip": ctx_name,
        "attn_implementation": attn,
        "dtype": str(next(model.parameters()).dtype).replace("torch.", ""),
        "n_params": n_params,
        "weights_gib": round(n_params * 2 / GIB, 3),
        "lm_head_tied_to_embeddings": bool(tied),
        "rope_inv_freq_dtype": None if inv_freq is None else str(inv_freq.dtype).replace("torch.", ""),
        "rope_inv_freq_finite": None if inv_freq is None else bool(torch.isfinite(inv_freq).all().item()),
        "build_s": round(t_build, 2),
        "fill_s": round(t_fill, 2),
        "weight_init": "normal(0, 0.02) for 2-D weights, 1.0 for RMSNorm weights; seeded",
    })
    log("model built in %.1fs (%s; init skip: %s), weights filled in %.1fs; %.2f B params, attn=%s"
        % (t_build, how, ctx_name, t_fill, n_params / 1e9, attn))
    return model


def logits_mode(model):
    try:
        params = inspect.signature(model.forward).parameters
    except (TypeError, ValueError):
        params = {}
    if "logits_to_keep" in params:
        return "logits_to_keep"
    if "num_logits_to_keep" in params:
        return "num_logits_to_keep"
    return "model.model+lm_head(last row)"


def prefill(model, ids, mode):
    """One forward over the whole prompt with the KV cache on; returns (last logits [1, V], cache)."""
    if mode == "logits_to_keep":
        out = model(input_ids=ids, use_cache=True, logits_to_keep=1)
        return out.logits[:, -1, :], out.past_key_values
    if mode == "num_logits_to_keep":
        out = model(input_ids=ids, use_cache=True, num_logits_to_keep=1)
        return out.logits[:, -1, :], out.past_key_values
    out = model.model(input_ids=ids, use_cache=True)
    logits = model.lm_head(out.last_hidden_state[:, -1:, :])
    return logits[:, -1, :], out.past_key_values


# --------------------------------------------------------------------------- helpers


def free(torch):
    gc.collect()
    torch.cuda.synchronize()
    torch.cuda.empty_cache()


def rand_ids(torch, n, vocab, seed):
    g = torch.Generator(device="cuda")
    g.manual_seed(seed)
    return torch.randint(0, vocab, (1, n), device="cuda", generator=g, dtype=torch.long)


def over_budget(args):
    return (time.perf_counter() - _T_START) > args.budget_s


def plan(args, length):
    """(warmup, runs) for one measurement, trimmed when the soft budget is spent."""
    if over_budget(args):
        return 0, 1, "budget exceeded: 0 warm-up, 1 timed run"
    return args.warmup, args.runs, None


def med(xs):
    return statistics.median(xs) if xs else None


# --------------------------------------------------------------------------- measurements


def measure_ttft(torch, model, mode, vocab, length, args, result):
    key = str(length)
    warm, runs, why = plan(args, length)
    if why:
        result["notes"].append("ttft %d: %s" % (length, why))
    ids = rand_ids(torch, length, vocab, args.seed + length)
    times = []
    finite = True
    first_token = None
    free(torch)
    torch.cuda.reset_peak_memory_stats()
    for i in range(warm + runs):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        logits, cache = prefill(model, ids, mode)
        tok = logits.argmax(dim=-1)
        torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        finite = finite and bool(torch.isfinite(logits).all().item())
        first_token = int(tok.item())
        del logits, cache, tok
        timed = i >= warm
        if timed:
            times.append(dt)
        log("ttft L=%d %s %d: %.4fs (%.0f tok/s)" % (length, "run" if timed else "warmup", i, dt, length / dt))
    peak = torch.cuda.max_memory_allocated() / GIB
    del ids
    free(torch)
    m = med(times)
    result["ttft_s"][key] = round(m, 6)
    result["prefill_tok_s"][key] = round(length / m, 1)
    result["peak_mem_gib"]["ttft_%d" % length] = round(peak, 3)
    result["runs_s"]["ttft_%d" % length] = [round(t, 6) for t in times]
    result["method"]["ttft_%d" % length] = {"warmup": warm, "timed_runs": runs, "stat": "median"}
    result["finite"]["ttft_%d" % length] = finite
    result.setdefault("first_token", {})[key] = first_token


def measure_decode(torch, model, mode, vocab, ctx_len, args, result):
    key = str(ctx_len)
    steps = args.decode_tokens
    warm, runs, why = plan(args, ctx_len)
    if why:
        result["notes"].append("decode %d: %s" % (ctx_len, why))
    ids = rand_ids(torch, ctx_len, vocab, args.seed + 7919 + ctx_len)
    times = []
    prefill_times = []
    finite = True
    free(torch)
    torch.cuda.reset_peak_memory_stats()
    for i in range(warm + runs):
        torch.cuda.synchronize()
        tp = time.perf_counter()
        logits, cache = prefill(model, ids, mode)
        nxt = logits.argmax(dim=-1)  # [1]
        del logits
        torch.cuda.synchronize()
        prefill_times.append(time.perf_counter() - tp)
        toks = []
        t0 = time.perf_counter()
        for _ in range(steps):
            out = model(input_ids=nxt[:, None], past_key_values=cache, use_cache=True)
            cache = out.past_key_values
            last = out.logits[:, -1, :]
            nxt = last.argmax(dim=-1)
            toks.append(nxt)
            del out
        torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        finite = finite and bool(torch.isfinite(last).all().item())
        seq_len = None
        try:
            seq_len = int(cache.get_seq_length())
        except Exception:
            pass
        del cache, nxt, last, toks
        timed = i >= warm
        if timed:
            times.append(dt)
        log("decode C=%d %s %d: %d steps in %.4fs -> %.2f tok/s (%.2f ms/tok); cache len %s"
            % (ctx_len, "run" if timed else "warmup", i, steps, dt, steps / dt, 1000 * dt / steps, seq_len))
        if seq_len is not None and seq_len != ctx_len + steps:
            result["notes"].append("decode %d: unexpected cache length %d" % (ctx_len, seq_len))
    peak = torch.cuda.max_memory_allocated() / GIB
    del ids
    free(torch)
    m = med(times)
    result["decode_tok_s"][key] = round(steps / m, 3)
    result["decode_ms_per_token"][key] = round(1000 * m / steps, 4)
    result["peak_mem_gib"]["decode_%d" % ctx_len] = round(peak, 3)
    result["runs_s"]["decode_%d" % ctx_len] = [round(t, 6) for t in times]
    result["method"]["decode_%d" % ctx_len] = {
        "warmup": warm, "timed_runs": runs, "steps": steps, "stat": "median",
        "untimed_prefill_s": [round(t, 4) for t in prefill_times],
    }
    result["finite"]["decode_%d" % ctx_len] = finite


def measure_generate(torch, model, vocab, ctx_len, args, result):
    """Decode rate through model.generate: (N-1) / (t(generate N) - t(generate 1)).

    Both calls include the same prefill, so the difference is N-1 decode steps
    with generate's own per-step overhead (logits processors, stopping checks).
    """
    key = str(ctx_len)
    steps = args.decode_tokens
    if steps < 2:
        return
    ids = rand_ids(torch, ctx_len, vocab, args.seed + 7919 + ctx_len)
    mask = torch.ones_like(ids)
    free(torch)
    torch.cuda.reset_peak_memory_stats()

    def gen(n):
        torch.cuda.synchronize()
        t0 = time.perf_counter()
        out = model.generate(input_ids=ids, attention_mask=mask, max_new_tokens=n, min_new_tokens=n,
                             do_sample=False, pad_token_id=0, use_cache=True)
        torch.cuda.synchronize()
        dt = time.perf_counter() - t0
        new = int(out.shape[1] - ids.shape[1])
        del out
        return dt, new

    gen(2)  # warm-up (kernels, generation config)
    t1, n1 = gen(1)
    tn, nn_ = gen(steps)
    peak = torch.cuda.max_memory_allocated() / GIB
    del ids, mask
    free(torch)
    if nn_ != steps or n1 != 1 or tn <= t1:
        result["notes"].append("generate %d: unexpected (new tokens %d/%d, t1=%.4f, tN=%.4f)"
                               % (ctx_len, n1, nn_, t1, tn))
        return
    rate = (nn_ - n1) / (tn - t1)
    result["generate_decode_tok_s"][key] = round(rate, 3)
    result["peak_mem_gib"]["generate_%d" % ctx_len] = round(peak, 3)
    result["runs_s"]["generate_%d" % ctx_len] = {"t_1_token": round(t1, 6), "t_%d_tokens" % steps: round(tn, 6)}
    log("generate C=%d: 1 tok %.4fs, %d tok %.4fs -> %.2f tok/s decode" % (ctx_len, t1, nn_, tn, rate))


# --------------------------------------------------------------------------- driver


def run(args, result):
    log("importing torch / transformers")
    import torch
    import transformers

    try:
        transformers.logging.set_verbosity_error()
    except Exception:
        pass

    result["torch"] = torch.__version__
    result["transformers"] = transformers.__version__
    result["cuda"] = torch.version.cuda
    if not torch.cuda.is_available():
        raise RuntimeError("CUDA is not available")
    props = torch.cuda.get_device_properties(0)
    result["device"] = torch.cuda.get_device_name(0)
    result["device_mem_gib"] = round(props.total_memory / GIB, 2)
    log("torch %s (cuda %s), transformers %s, device %s (%.1f GiB)"
        % (torch.__version__, torch.version.cuda, transformers.__version__, result["device"],
           props.total_memory / GIB))

    prompt_lengths = parse_int_list(args.prompt_lengths)
    decode_contexts = parse_int_list(args.decode_contexts)
    num_layers = args.layers if args.layers else 32

    torch.manual_seed(args.seed)
    cfg, style = build_config(transformers, num_layers)
    rp = getattr(cfg, "rope_parameters", None) or getattr(cfg, "rope_scaling", None) or {}
    result["config"].update({
        "name": "Llama-3.1-8B shape (random weights)",
        "hidden_size": cfg.hidden_size,
        "intermediate_size": cfg.intermediate_size,
        "num_hidden_layers": cfg.num_hidden_layers,
        "num_attention_heads": cfg.num_attention_heads,
        "num_key_value_heads": cfg.num_key_value_heads,
        "head_dim": getattr(cfg, "head_dim", cfg.hidden_size // cfg.num_attention_heads),
        "vocab_size": cfg.vocab_size,
        "max_position_embeddings": cfg.max_position_embeddings,
        "rms_norm_eps": cfg.rms_norm_eps,
        "tie_word_embeddings": bool(getattr(cfg, "tie_word_embeddings", False)),
        "rope": {k: v for k, v in dict(rp).items() if isinstance(v, (int, float, str, bool, type(None)))},
        "rope_theta": float(rp.get("rope_theta", getattr(cfg, "rope_theta", float("nan")))),
        "rope_config_style": style,
        "batch_size": 1,
    })
    if num_layers != 32:
        result["notes"].append("num_hidden_layers overridden to %d (smoke run; not the 8B model)" % num_layers)

    model = build_model(torch, transformers, cfg, args.seed, result)
    free(torch)
    result["weights_allocated_gib"] = round(torch.cuda.memory_allocated() / GIB, 3)
    mode = logits_mode(model)
    result["method"]["prefill_logits"] = mode
    result["method"]["timer"] = "torch.cuda.synchronize() + time.perf_counter() around each measured region"
    result["method"]["token_ids"] = "torch.randint over the full vocab, seeded (seed + length)"
    log("prefill logits mode: %s" % mode)

    vocab = cfg.vocab_size
    with torch.inference_mode():
        for L in prompt_lengths:
            log("--- TTFT, prompt length %d" % L)
            try:
                measure_ttft(torch, model, mode, vocab, L, args, result)
            except Exception as exc:
                log("ttft %d failed: %r" % (L, exc))
                traceback.print_exc(file=sys.stderr)
                result["errors"].append("ttft %d: %s: %s" % (L, type(exc).__name__, exc))
                free(torch)

        for C in decode_contexts:
            log("--- decode, context %d, %d steps" % (C, args.decode_tokens))
            try:
                measure_decode(torch, model, mode, vocab, C, args, result)
            except Exception as exc:
                log("decode %d failed: %r" % (C, exc))
                traceback.print_exc(file=sys.stderr)
                result["errors"].append("decode %d: %s: %s" % (C, type(exc).__name__, exc))
                free(torch)

        if not args.no_generate:
            for C in decode_contexts:
                if over_budget(args):
                    result["notes"].append("generate %d skipped: budget exceeded" % C)
                    continue
                log("--- model.generate, context %d" % C)
                try:
                    measure_generate(torch, model, vocab, C, args, result)
                except Exception as exc:
                    log("generate %d failed: %r" % (C, exc))
                    traceback.print_exc(file=sys.stderr)
                    # generate is an extra; a failure there is a note, not an error
                    result["notes"].append("generate %d failed: %s: %s" % (C, type(exc).__name__, exc))
                    free(torch)

    result["notes"].extend([
        "TTFT = one forward over the whole prompt (use_cache=True, %s) + argmax of the last logits; "
        "includes KV-cache creation; median of timed runs after per-length warm-up" % mode,
        "prefill_tok_s = prompt length / TTFT",
        "decode: prefill C tokens untimed, then a hand-written greedy loop of single-token forwards with the "
        "DynamicCache; only the loop is timed; no host sync inside the loop (HF generate syncs per step for "
        "its stopping check, see generate_decode_tok_s)",
        "generate_decode_tok_s = (N-1) / (t(generate N new tokens) - t(generate 1 new token)) at the same context",
        "peak_mem_gib = torch.cuda.max_memory_allocated() after reset_peak_memory_stats() at the start of each "
        "measurement; it includes the resident weights (see weights_allocated_gib)",
        "random weights N(0, 0.02): speed is weight-value independent; first_token values are meaningless",
    ])
    log("done")


if __name__ == "__main__":
    sys.exit(main())
