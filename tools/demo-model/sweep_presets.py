#!/usr/bin/env python3
"""Scores skip presets on a demo-model GGUF in the PyTorch SPTS simulation (train.py's skip_block): FULL and
SPTS exact match, teacher-forced, on held-out filler. Seconds per preset on a GPU, so a preset can be
tried before any Java run (the engine's numbers stay the measure: docs/evaluation.md).

    python3 sweep_presets.py models/demo-16m-f16.gguf '{"span": 32}' '{"start": 3, "ends": [5, 7, 8]}'

Each argument overrides fields of train.DEMO_PRESET (start, ends, budgets, removal, span)."""
import argparse, json, sys, time

import torch

import gguf_weights
import train


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("model")
    ap.add_argument("presets", nargs="*", default=["{}"])
    ap.add_argument("--samples", type=int, default=20)
    ap.add_argument("--lengths", default="2048,4096")
    ap.add_argument("--families", default="niah_single,records_qa")
    args = ap.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    model = train.DemoLlama(dict(train.CONFIG)).to(device)
    weights = gguf_weights.load(args.model)[0]
    with torch.no_grad():
        for k, p in model.hf_state_dict().items():
            p.copy_(torch.from_numpy(weights[k]).float())
    lengths = [int(v) for v in args.lengths.split(",")]
    for i, text in enumerate(args.presets):
        preset = dict(train.DEMO_PRESET, **json.loads(text))
        t0 = time.time()
        # the samples are the same for every preset: FULL is scored once, with the first
        r = train.evaluate(model, str(train.HERE / "tokenizer" / "tokenizer.json"), lengths, args.samples, device,
                           families=args.families.split(","), skip=preset, full=i == 0)
        print(json.dumps({"preset": preset, "seconds": round(time.time() - t0, 1), "results": r}), flush=True)


if __name__ == "__main__":
    sys.exit(main())
