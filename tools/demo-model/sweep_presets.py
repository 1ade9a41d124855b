#!/usr/bin/env python3
"""Scores skip presets on a demo-model GGUF in the PyTorch SPTS simulation (train.py's skip_block): FULL and
SPTS exact match, teacher-forced, on held-out filler. Seconds per preset on a GPU, so a preset can be
tried before any Java run (the engine's numbers stay the measure: docs/evaluation.md).

    python3 sweep_presets.py models/demo-16m-f16.gguf '{"span": 32}' '{"start": 3, "ends": [5, 7, 8]}'

Each argument overrides fields of the engine's `demo` preset for the model's depth (train.demo_preset:
start, ends, budgets, removal, span, sink, recent); the model's shape comes from the GGUF metadata.
Beside the scores: the preset's prefill FLOPs against FULL at each length, by the engine's count
(SptsPrefill: K and the probe for every candidate, the LTP proxy for every candidate, Q/V/O, attention
and FFN for the active rows), which `spts eval` reports as FLOP/FULL."""
import argparse, json, pathlib, sys, time

import torch

import gguf_weights
import train


def layer_flops(c, n, active=None, ltp=(64, 256)):
    """Prefill FLOPs of one layer over n candidates: in full, or with `active` rows computed (SPTS)."""
    d, kv, hd, heads, ff = (c["hidden_size"], c["num_key_value_heads"] * c["head_dim"], c["head_dim"],
                            c["num_attention_heads"], c["intermediate_size"])
    if active is None:
        return 2 * n * (2 * d * d + 2 * d * kv) + 6 * n * d * ff + 2 * heads * hd * n * (n + 1)
    r, low = ltp
    return (2 * n * d * kv + 4 * heads * hd * n + 2 * n * (2 * d * r + 2 * r * low + low * d)  # K, probe, proxy
            + 2 * active * (2 * d * d + d * kv) + 2 * heads * hd * active * (active + 1) + 6 * active * d * ff)


def flops_vs_full(c, preset, n):
    cand, total = n, 0
    for layer in range(c["num_hidden_layers"]):
        if layer < preset["start"]:
            total += layer_flops(c, n)
            continue
        k = next(k for k, end in enumerate(preset["ends"]) if layer < end)
        budget = preset["budgets"][k]
        if k > 0 and layer == preset["ends"][k - 1] and cand > budget:
            cand = max(cand - preset["removal"], budget)
        total += layer_flops(c, cand, min(budget, cand))
    return total / (c["num_hidden_layers"] * layer_flops(c, n))


def config_of(meta):
    """train.CONFIG's fields from a llama GGUF's metadata (what `spts convert` writes)."""
    c = dict(train.CONFIG)
    c.update(num_hidden_layers=meta["llama.block_count"], hidden_size=meta["llama.embedding_length"],
             intermediate_size=meta["llama.feed_forward_length"],
             num_attention_heads=meta["llama.attention.head_count"],
             num_key_value_heads=meta["llama.attention.head_count_kv"],
             head_dim=meta.get("llama.attention.key_length",
                               meta["llama.embedding_length"] // meta["llama.attention.head_count"]),
             rope_theta=meta.get("llama.rope.freq_base", c["rope_theta"]),
             rms_norm_eps=meta.get("llama.attention.layer_norm_rms_epsilon", c["rms_norm_eps"]),
             vocab_size=meta.get("llama.vocab_size", c["vocab_size"]),
             max_position_embeddings=meta.get("llama.context_length", c["max_position_embeddings"]))
    return c


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("presets", nargs="*")
    ap.add_argument("--presets-file", default="", help="one preset (JSON) per line, after those given as arguments")
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--lengths", default="2048,4096")
    ap.add_argument("--families", default="niah_single,records_qa")
    ap.add_argument("--oracle", action="store_true", help="also score each preset with the evidence kept active "
                    "(the first answer's passages: what the probe's choice costs)")
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    weights, meta = gguf_weights.load(args.model)
    config = config_of(meta)
    model = train.DemoLlama(config).to(device)
    with torch.no_grad():
        for k, p in model.hf_state_dict().items():
            p.copy_(torch.from_numpy(weights[k]).float())
    lengths = [int(v) for v in args.lengths.split(",")]
    presets = args.presets + ([t for t in pathlib.Path(args.presets_file).read_text().splitlines() if t.strip()]
                              if args.presets_file else [])
    presets = presets or ["{}"]  # nothing given: the `demo` preset itself
    for i, text in enumerate(presets):
        preset = dict(train.demo_preset(config["num_hidden_layers"]), **json.loads(text))
        t0 = time.time()
        # the samples are the same for every preset: FULL is scored once, with the first
        r = train.evaluate(model, str(train.HERE / "tokenizer" / "tokenizer.json"), lengths, args.samples, device,
                           families=args.families.split(","), skip=preset, full=i == 0)
        if args.oracle:
            o = train.evaluate(model, str(train.HERE / "tokenizer" / "tokenizer.json"), lengths, args.samples, device,
                               families=args.families.split(","), skip=preset, full=False, oracle=True)
            r.update({k + ":oracle": v for k, v in o.items() if k.endswith(":skip")})
        flops = {n: round(flops_vs_full(config, preset, n - 40), 3) for n in lengths}  # prompts ~40 short
        print(json.dumps({"preset": preset, "seconds": round(time.time() - t0, 1), "flops_vs_full": flops,
                          "results": r}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
