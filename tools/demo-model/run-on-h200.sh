#!/usr/bin/env bash
# One device call: one training stage of the demo model on the H200 (train.py with these settings as
# environment variables), the exported folder in $WORK, its tar parts, summary and log in $SHIP.
# tools/demo-model/recipe.sh runs the four stages of the committed model with it. The stages of the earlier
# weights (models/README.md), run one call each with step counts set by time, were:
#   stage 1: tools/demo-model/run-on-h200.sh                 [MINUTES=5.5 SEED=1234]
#   stage 2: INIT=.demo-carry/stage1/model SEED=1235 MINUTES=7.3 PLAN_FACTOR=1.12 tools/demo-model/run-on-h200.sh
#   stage 3: INIT=.demo-carry/stage2/model STAGE=3 SEED=1236 LR=1e-3 WARMUP=50 MINUTES=5 PLAN_FACTOR=1.1 tools/demo-model/run-on-h200.sh
#   stage 4 (DEMO_PRESET then had spans of 16):
#     INIT=<stage-3>.gguf STAGE=4 SKIP_TRAIN=0.9 SEED=1238 LR=5e-4 WARMUP=50 MINUTES=5 PLAN_FACTOR=1.15 \
#     EVAL_FAMILIES=niah_single,records_qa,niah_multikey,rag_records tools/demo-model/run-on-h200.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c 'import torch, tokenizers, safetensors, transformers; print("torch", torch.__version__, "tokenizers", tokenizers.__version__, "transformers", transformers.__version__)'
OUT=${OUT:-/tmp/demo-out}
SHIP=${SHIP:-$OUT}  # where the model (tar parts), summary and log go
WORK=${WORK:-/tmp/demo}  # the exported folder stays here (a later stage's INIT)
mkdir -p "$SHIP"
EXTRA=()
if [ -n "${INIT:-}" ]; then EXTRA+=(--init "$(cd "$ROOT" && realpath "$INIT")"); fi
if [ -n "${STEPS:-}" ]; then EXTRA+=(--steps "$STEPS"); fi
if [ -n "${SKIP_PRESET:-}" ]; then EXTRA+=(--skip-preset "$SKIP_PRESET"); fi
if [ -n "${MODEL_CONFIG:-}" ]; then EXTRA+=(--config "$MODEL_CONFIG"); fi  # another shape (train.py --config)
if [ -n "${PROBE_TARGET:-}" ]; then EXTRA+=(--probe-target "$PROBE_TARGET" --probe-weight "${PROBE_WEIGHT:-0.1}"); fi
python3 "$ROOT/tools/demo-model/train.py" --out "$WORK" --ship "$SHIP" --minutes "${MINUTES:-5.5}" --seed "${SEED:-1234}" \
    --plan-factor "${PLAN_FACTOR:-1.3}" --stage "${STAGE:-0}" --skip-train "${SKIP_TRAIN:-0}" --lr "${LR:-2e-3}" --warmup "${WARMUP:-100}" "${EXTRA[@]}" \
    --workers "$(( $(nproc) - 2 ))" --eval-samples "${EVAL_SAMPLES:-20}" --eval-lengths "${EVAL_LENGTHS:-2048,4096,16384}" \
    --eval-families "${EVAL_FAMILIES:-}" 2>&1 | tee "$WORK.out"
