#!/usr/bin/env bash
# The demo model's training as one recipe on one H200: the four stages of models/README.md with fixed
# step counts, about 14 minutes of training in all (the sum of the stages' train_seconds). Each stage
# starts from the previous stage's exported folder under .demo-carry/recipe (git-ignored). A device call
# may last 10 minutes, so the recipe runs in parts, each a call on the same warm machine (it keeps
# ignored files between calls):
#   tools/demo-model/recipe.sh 1      stage 1  (short contexts first, all families; lr 2e-3)
#   tools/demo-model/recipe.sh 2      stages 2 (longer contexts, records) and 3 (record answers; lr 1e-3)
#   tools/demo-model/recipe.sh 3      stage 4  (90 % of the steps at 2K+ as SPTS prefills with the probe loss; lr 5e-4)
#   tools/demo-model/recipe.sh all    all four, where one command may run longer
# SKIP_PRESET (JSON over train.DEMO_PRESET) is the preset of stage 4's SPTS steps: the engine's `demo`
# preset must be the same. PROBE_TARGET / PROBE_WEIGHT set stage 4's probe loss (train.py --probe-target,
# --probe-weight; 0.2 / 0.2). S1_STEPS..S4_STEPS change a stage's step count (the committed model: the
# defaults; about 14 steps a second, about 9 in stage 4). MODEL_CONFIG (JSON over train.CONFIG)
# trains another shape through all four stages. Stage logs and summaries land in $OUT/sN/; the final model's tar parts in $OUT/s4/.
set -euo pipefail
cd "$(dirname "$0")/../.."
W=.demo-carry/recipe
OUT=${OUT:-/tmp/demo-out}
mkdir -p "$W" "$OUT"

stage() { # stage number; the rest: settings for run-on-h200.sh
  local n=$1
  shift
  rm -rf "$W/s$n" "$W/s$n-ship"
  # a quick look at the end of stages 1-3 (5 samples); the caller's settings come after these defaults
  env EVAL_SAMPLES=5 EVAL_LENGTHS=2048 EVAL_FAMILIES=niah_single,records_qa "$@" WORK="$W/s$n" SHIP="$W/s$n-ship" \
      tools/demo-model/run-on-h200.sh > /dev/null 2>&1 || { tail -40 "$W/s$n.out"; exit 1; }
  mkdir -p "$OUT/s$n"
  tar -C "$W/s$n-ship" -cf "$OUT/s$n/logs.tar" summary.json train_log.jsonl
  python3 -c "import json,sys; d=json.load(open(sys.argv[1])); print('stage', d['stage'], d['steps'], 'steps', \
d['train_seconds'], 's', json.dumps(d.get('eval')))" "$W/s$n-ship/summary.json"
}

part=${1:?usage: recipe.sh 1|2|3|all}
if [ "$part" = 1 ] || [ "$part" = all ]; then
  stage 1 SEED=1234 STEPS="${S1_STEPS:-3500}"
fi
if [ "$part" = 2 ] || [ "$part" = all ]; then
  stage 2 INIT="$W/s1/model" STAGE=2 SEED=1235 STEPS="${S2_STEPS:-3500}"
  stage 3 INIT="$W/s2/model" STAGE=3 SEED=1236 LR=1e-3 WARMUP=50 STEPS="${S3_STEPS:-2100}"
fi
if [ "$part" = 3 ] || [ "$part" = all ]; then
  stage 4 INIT="$W/s3/model" STAGE=4 SKIP_TRAIN=0.9 SEED=1238 LR=5e-4 WARMUP=50 STEPS="${S4_STEPS:-2100}" \
      SKIP_PRESET="${SKIP_PRESET:-}" PROBE_TARGET="${PROBE_TARGET:-0.2}" PROBE_WEIGHT="${PROBE_WEIGHT:-0.2}" \
      EVAL_SAMPLES=20 EVAL_LENGTHS=2048,4096 \
      EVAL_FAMILIES=niah_single,records_qa,niah_multikey,rag_records
  cp "$W"/s4-ship/model.tar.part-* "$OUT/s4/"
fi
python3 - "$W" <<'EOF'
import json, pathlib, sys
done = [json.loads(p.read_text()) for p in sorted(pathlib.Path(sys.argv[1]).glob("s*-ship/summary.json"))]
print("recipe so far: stages", [d["stage"] for d in done], "train_seconds", sum(d["train_seconds"] for d in done))
EOF
