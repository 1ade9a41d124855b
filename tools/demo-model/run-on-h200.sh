#!/usr/bin/env bash
# One device call: train the demo model on the H200, ship it (tar parts under $OUT) and score it.
#   run (device tool): tools/demo-model/run-on-h200.sh        [MINUTES=6 SEED=1234 EVAL_SAMPLES=30]
set -euo pipefail
cd "$(dirname "$0")"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c 'import torch, tokenizers, safetensors, transformers; print("torch", torch.__version__, "tokenizers", tokenizers.__version__, "transformers", transformers.__version__)'
OUT=${OUT:-/tmp/demo-out}
python3 train.py --out /tmp/demo --ship "$OUT" --minutes "${MINUTES:-5.5}" --seed "${SEED:-1234}" \
    --workers "$(( $(nproc) - 2 ))" --eval-samples "${EVAL_SAMPLES:-20}" --eval-lengths 2048,4096,16384 2>&1 | tee "$OUT/train.out"
