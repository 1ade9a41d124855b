#!/usr/bin/env bash
# Runs on the GPU machine (no Java, no Maven there): unpacks the runtime that tools/gpu/package.sh built,
# then, by MODE:
#   check  — kernel self-test (nvcc), the CUDA JUnit tests, generate --backend cuda on fixture models
#   bench  — measured ceilings (floors.py), the engine's bench on synthetic llama-3.1-8b, the PyTorch baseline
#   all    — both
#   batch  — continuous batching: aggregate decode of 1, 4, 16, 64 sequences together on synthetic llama-3.1-8b
#   ltp    — the LTP proxy on the GPU (CudaLowRankProxyTest) and a CPU calibration of synthetic llama-3.1-8b
#   cpu    — the CPU backend's contract tests and the fixed-order lane sums (LaneSumsTest) on this host's CPU
#            (AVX-512 here, where C2's reduceLanes is unordered; the development machines may have only AVX2)
#   prepare — only unpacks the runtime (a first call that carries it; a second, warm call then carries a model)
#   eval   — the evaluation table (docs/evaluation.md) of EVAL_MODEL on the GPU, one `spts eval` per length
#            (EVAL_PARALLEL=1: all lengths at once, each its own JVM — faster, but the evals then share the
#            GPU and the host threads, so their TTFT is not a measurement)
#   demo-release — the demo model tools/demo-model/recipe.sh trained (DEMO_FOLDER): converted to GGUF by our
#            `convert`, its LTP proxy calibrated on held-out text, then `eval` on it (parallel); the proxy
#            and the eval outputs (eval.tgz) come back in $OUT, the GGUF's sha256 is printed
# and prints a short table last. Output files go to $OUT (the device tool brings them back).
set -uo pipefail
mode="${1:-all}"
cd "$(dirname "$0")/../.."
carry=.gpu-carry
OUT="${OUT:-$PWD/gpu-out}"
mkdir -p "$OUT"
export PYTHONUNBUFFERED=1
summary="$OUT/summary.txt"
: > "$summary"
note() { echo "$*" | tee -a "$summary"; }

if [ ! -x "$carry/jre/bin/java" ]; then
  xz -dc "$carry/jre.txz" | tar -C "$carry" -xf -
fi
JAVA="$carry/jre/bin/java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED"
CP="$carry/app/spts-engine.jar:$carry/app/lib/*"
export SPTS_REQUIRE_CUDA=1
export SPTS_CUDA_LIBRARY_PATH="${SPTS_CUDA_LIBRARY_PATH:-}"
# Where this image keeps NVRTC and cuBLASLt (pip wheels or the toolkit): added to the search path.
for d in /usr/local/cuda/lib64 /usr/local/cuda/targets/x86_64-linux/lib $(python3 -c 'import nvidia, os; p=os.path.dirname(nvidia.__path__[0]); print(" ".join(os.path.join(r) for r, _, f in os.walk(os.path.join(p, "nvidia")) if any(x.startswith(("libnvrtc.so", "libcublasLt.so")) for x in f)))' 2>/dev/null); do
  SPTS_CUDA_LIBRARY_PATH="$SPTS_CUDA_LIBRARY_PATH:$d"
done
export SPTS_CUDA_LIBRARY_PATH="${SPTS_CUDA_LIBRARY_PATH#:}"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.sm --format=csv,noheader | tee "$OUT/gpu.txt"
echo "library path: $SPTS_CUDA_LIBRARY_PATH"

if [ "$mode" = check ] || [ "$mode" = all ]; then
  t0=$(date +%s)
  if [ "${SKIP_SELFTEST:-0}" = 1 ]; then
    note "kernel self-test: skipped (SKIP_SELFTEST=1)"
  elif nvcc -O3 -arch=sm_90 -std=c++17 -o "$OUT/selftest" tools/gpu/kernel_selftest.cu 2> "$OUT/selftest-build.log"; then
    "$OUT/selftest" 2>&1 | tee "$OUT/selftest.txt"
    note "kernel self-test: $(grep -c '^PASS' "$OUT/selftest.txt") pass, $(grep -c '^FAIL' "$OUT/selftest.txt") fail"
  else
    cat "$OUT/selftest-build.log"; note "kernel self-test: BUILD FAILED"
  fi
  TEST_CP="$CP:$carry/app/engine-tests.jar:inference-tornado/src/test/resources"
  $JAVA -jar "$carry/junit-console.jar" execute --class-path "$TEST_CP" \
      --select-class dev.sptsrag.inference.backend.cuda.CudaDriverSmokeTest \
      --select-class dev.sptsrag.inference.backend.cuda.CudaBackendContractTest \
      --select-class dev.sptsrag.inference.backend.cuda.CudaEngineParityTest \
      --select-class dev.sptsrag.inference.backend.cuda.CudaSptsParityTest \
      --select-class dev.sptsrag.inference.backend.cuda.CudaLowRankProxyTest \
      --select-class dev.sptsrag.inference.backend.cuda.CudaPagedAttentionTest \
      --select-class dev.sptsrag.inference.backend.cuda.CudaBatchingTest \
      --details=tree --disable-banner 2>&1 | tee "$OUT/junit.txt" | tail -60
  note "junit: $(grep -E 'tests (successful|failed|skipped)' "$OUT/junit.txt" | tr -s ' ' | tr '\n' ' ')"
  grep -aE 'worst|argmax equal|overlap|SPTS GPU|LTP proxy on the GPU' "$OUT/junit.txt" >> "$summary"
  for m in llama-gqa-rope3 qwen2-bias-tied; do
    $JAVA -jar "$carry/app/spts-engine.jar" generate inference-tornado/src/test/resources/parity/$m --backend cuda \
        --prompt "The badge number of Ana Ruiz is" -n 16 --temperature 0 2>&1 | tee "$OUT/generate-$m.txt" | tail -3
    note "generate --backend cuda $m: $(tail -1 "$OUT/generate-$m.txt")"
  done
  note "check took $(( $(date +%s) - t0 )) s"
fi

if [ "$mode" = cpu ]; then
  note "host CPU: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | xargs), $(grep -m1 -o 'avx512f' /proc/cpuinfo || echo 'no avx512f')"
  TEST_CP="$CP:$carry/app/engine-tests.jar:inference-tornado/src/test/resources"
  for round in 1 2 3; do # three JVMs: each starts cold, so first calls run interpreted
    $JAVA -jar "$carry/junit-console.jar" execute --class-path "$TEST_CP" \
        --select-class dev.sptsrag.inference.simd.LaneSumsTest \
        --select-class dev.sptsrag.inference.backend.cpu.CpuBackendContractTest \
        --select-class dev.sptsrag.inference.spts.SptsEngineTest \
        --details=summary --disable-banner > "$OUT/junit-cpu-$round.txt" 2>&1
    note "cpu junit round $round: $(grep -E 'tests (successful|failed)' "$OUT/junit-cpu-$round.txt" | tr -s ' ' | tr '\n' ' ')"
  done
fi

if [ "$mode" = prepare ]; then
  $JAVA -version 2>&1 | tail -1
  note "runtime unpacked in $carry/jre"
fi

if [ "$mode" = demo-release ]; then
  t0=$(date +%s)
  folder="${DEMO_FOLDER:-.demo-carry/recipe/s4/model}"
  EVAL_MODEL=.demo-carry/release/demo-16m-f16.gguf
  mkdir -p .demo-carry/release && rm -f "$EVAL_MODEL" "$EVAL_MODEL.ltp"
  $JAVA -jar "$carry/app/spts-engine.jar" convert "$folder" "$EVAL_MODEL" --type f16 2>&1 | grep -v '^loading' | tail -2
  python3 tools/demo-model/calibration_text.py /tmp/calib.txt
  $JAVA -Xmx8g -jar "$carry/app/spts-engine.jar" calibrate "$EVAL_MODEL" --text /tmp/calib.txt --tokens 16000 \
      --sequence-length 2000 --d-low 256 --rank 64 2>&1 | grep -v '^loading' | tail -3
  cp "$EVAL_MODEL.ltp" "$OUT/"
  note "demo model: $(sha256sum "$EVAL_MODEL" | cut -c1-16)…, proxy $(sha256sum "$EVAL_MODEL.ltp" | cut -c1-16)…, in $(( $(date +%s) - t0 )) s"
  export EVAL_MODEL EVAL_PARALLEL=1
  mode=eval
fi

if [ "$mode" = eval ]; then
  # One `spts eval` per length, each writing its table and JSON under $OUT/eval, packed into $OUT/eval.tgz
  # (the files that come back are few): in turn, shortest first, packed after each length (whatever
  # finishes within the call's limit comes back), or all at once with EVAL_PARALLEL=1.
  model="${EVAL_MODEL:-models/demo-16m-f16.gguf}"
  mkdir -p "$OUT/eval"
  one_length() {
    local len=$1 t0
    t0=$(date +%s)
    $JAVA -Xmx8g -jar "$carry/app/spts-engine.jar" eval --model "$model" \
        --tasks "${EVAL_TASKS:-niah_single,niah_multikey,records_qa,rag_records,niah_unseen}" --lengths "$len" \
        --samples "${EVAL_SAMPLES:-50}" --modes FULL,PAP,PAP_LTP,SPTS,PREV_LAYER --skip "${EVAL_SKIP:-demo}" \
        --seed "${EVAL_SEED:-1}" --backend cuda --warmup 1 --json "$OUT/eval/eval-$len.json" > "$OUT/eval/eval-$len.txt" 2>&1
    echo "eval $len: rc $? in $(( $(date +%s) - t0 )) s" > "$OUT/eval/rc-$len.txt"
  }
  lengths="${EVAL_LENGTHS:-1024 2048 4096 8192 16352}"
  for len in $lengths; do
    if [ "${EVAL_PARALLEL:-0}" = 1 ]; then
      one_length "$len" &
    else
      one_length "$len" && tar -C "$OUT" -czf "$OUT/eval.tgz" eval
    fi
  done
  wait
  for len in $lengths; do
    note "$(cat "$OUT/eval/rc-$len.txt")"
    grep -aE "^(niah|records|rag|vt|cwe)[a-z_]* +[0-9]|^all " "$OUT/eval/eval-$len.txt" >> "$summary"
  done
  tar -C "$OUT" -czf "$OUT/eval.tgz" eval && rm -rf "$OUT/eval"
fi

if [ "$mode" = ltp ]; then
  # LTP: the proxy's GPU scoring against the host (and its cost at 32K rows), then a calibration of the
  # synthetic llama-3.1-8b on this machine's CPUs (float32), with its per-layer timings.
  t0=$(date +%s)
  TEST_CP="$CP:$carry/app/engine-tests.jar:inference-tornado/src/test/resources"
  $JAVA -jar "$carry/junit-console.jar" execute --class-path "$TEST_CP" \
      --select-class dev.sptsrag.inference.backend.cuda.CudaLowRankProxyTest \
      --details=tree --disable-banner 2>&1 | tee "$OUT/junit-ltp.txt" | tail -20
  note "junit: $(grep -E 'tests (successful|failed|skipped)' "$OUT/junit-ltp.txt" | tr -s ' ' | tr '\n' ' ')"
  grep -a 'LTP proxy on the GPU' "$OUT/junit-ltp.txt" >> "$summary"
  $JAVA -Xmx16g -jar "$carry/app/spts-engine.jar" calibrate --preset llama-3.1-8b --tokens ${LTP_TOKENS:-1024} \
      --sequence-length ${LTP_SEQUENCE:-1024} --out "$OUT/llama-3.1-8b-synthetic.ltp" 2>&1 | tee "$OUT/calibrate.txt" \
      | grep -v '^loading'
  rm -f "$OUT/llama-3.1-8b-synthetic.ltp"
  grep -aE '^(calibrating|D_low|forward|wrote)' "$OUT/calibrate.txt" >> "$summary"
  note "ltp took $(( $(date +%s) - t0 )) s"
fi

if [ "$mode" = spts ]; then
  t0=$(date +%s)
  $JAVA -Xmx8g -jar "$carry/app/spts-engine.jar" bench --backend cuda --preset llama-3.1-8b --preset-type bf16 \
      --prompt-tokens ${SPTS_PROMPTS:-8192,16384,32768} --gen-tokens 128 --runs 2 --context 32896 \
      --skip off --skip llama:pap --skip llama:pap-ltp --skip llama --ltp ${SPTS_LTP:-synthetic} \
      2>&1 | tee "$OUT/bench-spts.txt" | grep -v '^loading'
  note "spts bench took $(( $(date +%s) - t0 )) s"
  grep '^|' "$OUT/bench-spts.txt" >> "$summary"
fi

if [ "$mode" = batch ]; then
  t0=$(date +%s)
  for len in ${BATCH_PROMPTS:-1024 8192}; do
    $JAVA -Xmx8g -jar "$carry/app/spts-engine.jar" bench --backend cuda --preset llama-3.1-8b --preset-type bf16 \
        --prompt-tokens "$len" --gen-tokens ${BATCH_GEN:-64} --runs 2 --concurrency ${BATCH_SEQUENCES:-1,4,16,64} \
        --context $(( len + ${BATCH_GEN:-64} + 64 )) 2>&1 | tee "$OUT/bench-batch-$len.txt" | grep -v '^loading'
    grep '^|' "$OUT/bench-batch-$len.txt" >> "$summary"
  done
  if [ -n "${LOAD_RATES:-}" ]; then
    $JAVA -Xmx8g -jar "$carry/app/spts-engine.jar" bench-load --backend cuda --preset llama-3.1-8b --preset-type bf16 \
        --rates "$LOAD_RATES" --requests ${LOAD_REQUESTS:-48} --prompt-min 2048 --prompt-max 16384 --gen-tokens 64 \
        --max-sequences 16 --skip off --skip llama 2>&1 | tee "$OUT/bench-load.txt" | grep -v '^loading'
    grep '^|' "$OUT/bench-load.txt" >> "$summary"
    $JAVA -Xmx8g -jar "$carry/app/spts-engine.jar" bench-load --backend cuda --preset llama-3.1-8b --preset-type bf16 \
        --prefix-test --prompt-max 8192 2>&1 | tee "$OUT/bench-prefix.txt" | grep -v '^loading'
    grep '^|' "$OUT/bench-prefix.txt" >> "$summary"
  fi
  note "batch bench took $(( $(date +%s) - t0 )) s"
fi

if [ "$mode" = bench ] || [ "$mode" = all ]; then
  t0=$(date +%s)
  python3 tools/gpu/floors.py > "$OUT/floors.json" 2> "$OUT/floors.log"; tail -1 "$OUT/floors.json"
  $JAVA -Xmx8g -jar "$carry/app/spts-engine.jar" bench --backend cuda --preset llama-3.1-8b --preset-type bf16 \
      --prompt-tokens ${BENCH_PROMPTS:-1024,4096,8192,16384,32768} --gen-tokens 64 --runs 2 --context 32832 \
      2>&1 | tee "$OUT/bench-engine.txt" | grep -v '^loading'
  python3 tools/gpu/pytorch_baseline.py ${BASELINE_ARGS:-} > "$OUT/baseline.json" 2> "$OUT/baseline.log"; tail -1 "$OUT/baseline.json"
  note "bench took $(( $(date +%s) - t0 )) s"
  grep '^|' "$OUT/bench-engine.txt" >> "$summary"
  note "floors: $(tail -1 "$OUT/floors.json")"
  note "pytorch: $(tail -1 "$OUT/baseline.json")"
fi
echo "==== summary"
cat "$summary"
