#!/usr/bin/env bash
# One device call: train the demo model on the H200, ship it (tar parts under $OUT) and score it.
#   stage 1: tools/demo-model/run-on-h200.sh                 [MINUTES=5.5 SEED=1234]
#   stage 2: INIT=.demo-carry/stage1/model SEED=1235 MINUTES=7.3 PLAN_FACTOR=1.12 tools/demo-model/run-on-h200.sh
#   stage 3: INIT=.demo-carry/stage2/model STAGE=3 SEED=1236 LR=1e-3 WARMUP=50 MINUTES=5 PLAN_FACTOR=1.1 tools/demo-model/run-on-h200.sh
#   stage 4 (SPTS steps at the demo preset; from the stage-3 weights, converted to GGUF):
#     INIT=<stage-3>.gguf STAGE=4 SKIP_TRAIN=0.9 SEED=1238 LR=5e-4 WARMUP=50 MINUTES=5 PLAN_FACTOR=1.15 \
#     EVAL_FAMILIES=niah_single,records_qa,niah_multikey,rag_records tools/demo-model/run-on-h200.sh
#   (rejected: INIT=<stage-2 folder> STAGE=4 SKIP_TRAIN=0.8 SEED=1237 LR=1e-3 MINUTES=2.9 in place of stage 3)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
export PYTHONUNBUFFERED=1
nvidia-smi --query-gpu=name,memory.total,driver_version --format=csv,noheader
python3 -c 'import torch, tokenizers, safetensors, transformers; print("torch", torch.__version__, "tokenizers", tokenizers.__version__, "transformers", transformers.__version__)'
OUT=${OUT:-/tmp/demo-out}
INIT_ARGS=()
if [ -n "${INIT:-}" ]; then INIT_ARGS=(--init "$ROOT/$INIT"); fi
python3 "$ROOT/tools/demo-model/train.py" --out /tmp/demo --ship "$OUT" --minutes "${MINUTES:-5.5}" --seed "${SEED:-1234}" \
    --plan-factor "${PLAN_FACTOR:-1.3}" --stage "${STAGE:-0}" --skip-train "${SKIP_TRAIN:-0}" --lr "${LR:-2e-3}" --warmup "${WARMUP:-100}" "${INIT_ARGS[@]}" \
    --workers "$(( $(nproc) - 2 ))" --eval-samples "${EVAL_SAMPLES:-20}" --eval-lengths "${EVAL_LENGTHS:-2048,4096,16384}" \
    --eval-families "${EVAL_FAMILIES:-}" 2>&1 | tee "$OUT/train.out"
