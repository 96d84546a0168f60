#!/usr/bin/env bash
# One prepared run on a borrowed GPU machine (no Rust toolchain, no network there): what
# docs/gpu.md reports. Build here first, then run it from the repository root there:
#
#   cargo build --release -p camformer-training
#   mkdir -p .dev && xz -T2 -6 -c "$CARGO_TARGET_DIR/release/camformer-training" > .dev/camformer-training.xz
#   cp PATH/TO/dream_test_dev.tsv.gz .dev/
#   # Vulkan loader packages (the GPU machine's image has the NVIDIA driver but no loader), in .gl/
#   OUT=/somewhere scripts/gpu-run.sh bench|ours|train|all [SECONDS]
#   (ours: only our trainer's benchmarks, then training)   # SECONDS: the run's budget (default 560)
#
# 1. benchmarks: training steps, prediction and ISM, ours on wgpu (Vulkan) beside PyTorch on
#    CUDA (scripts/bench_training.py), and a per-phase profile of our training step;
# 2. Camformer Mini with the trainer's default recipe: the 5-fold cross-validation by group
#    (out-of-fold predictions for all rows) and a model on all rows, six processes sharing the
#    GPU, each stopping at the time left (--time-limit-s).
# Everything it measures goes to $OUT: run.log, bench_gpu.json, cv.tar.xz (out-of-fold predictions, logs),
# full.tar.xz (the all-rows model, f32), folds.tar.xz (the fold models, f16).
set -u
mode="${1:-all}"
budget="${2:-560}"
t0=$(date +%s)
elapsed() { echo $(($(date +%s) - t0)); }
log() { echo "[$(elapsed) s] $*"; }
exec > >(tee "$OUT/run.log") 2>&1

for f in .gl/*.deb; do dpkg -x "$f" /; done
ldconfig
icd=/usr/local/nvidia/share/vulkan/icd.d/nvidia_icd.json
[ -f "$icd" ] && export VK_DRIVER_FILES="$icd"
nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv
nproc
mkdir -p /tmp/bin
xz -dc .dev/camformer-training.xz > /tmp/bin/camformer-training && chmod +x /tmp/bin/camformer-training
T=/tmp/bin/camformer-training
data=.dev/dream_test_dev.tsv.gz
export PYTHONUNBUFFERED=1
python3 -c 'import torch; print("torch", torch.__version__, torch.cuda.get_device_name())'

log "wgpu sanity check"

if [ "$mode" != train ] && [ "$mode" != ours ] && ! timeout 120 "$T" bench --arch mini --device wgpu --steps 5 --warmup 2; then
    log "wgpu training failed; PyTorch only"
    timeout 120 python3 scripts/bench_training.py --gpu --skip-ours --batch 256 1024 --inference \
        --json "$OUT/bench_gpu.json"
    exit 1
fi

if [ "$mode" = bench ] || [ "$mode" = all ]; then
    log "benchmarks"
    timeout 240 python3 scripts/bench_training.py --gpu --trainer "$T" --batch 256 1024 --steps 20 \
        --inference --timeout 45 --json "$OUT/bench_gpu.json"
    log "phase profile"
    timeout 45 "$T" bench --arch mini --device wgpu --steps 10 --phases
    timeout 45 "$T" bench --arch original --device wgpu --steps 5 --phases
fi
if [ "$mode" = ours ]; then
    # Our trainer alone (PyTorch measured in an earlier run): each row once, short.
    log "our benchmarks"
    timeout 60 "$T" bench --arch mini --device wgpu --batch-size 256 --steps 20 --phases --inference | tee "$OUT/ours_mini_256.json"
    timeout 40 "$T" bench --arch mini --device wgpu --batch-size 1024 --steps 8 | tee "$OUT/ours_mini_1024.json"
    timeout 70 "$T" bench --arch original --device wgpu --batch-size 256 --steps 4 --warmup 1 | tee "$OUT/ours_original_256.json"
fi
[ "$mode" = bench ] && { log "done"; exit 0; }


# Leave 150 s after training for the held-out predictions, exports and packing: on the
# 2026-12-04 run 50 s was not enough (six processes validating and predicting at once) and the
# call ran out before anything came back. Each process is also killed 90 s after the limit,
# and whatever finished is packed.
limit=$((budget - $(elapsed) - 150))
log "cross-validation and all-rows model, time limit ${limit} s each"
common=(--data "$data" --arch mini --device wgpu --epochs 60 --schedule plateau --early-stop 8
    --time-limit-s "$limit" --units "MAUDE expression (DREAM test-set scale)")
for k in 0 1 2 3 4; do
    timeout $((limit + 90)) "$T" cv "${common[@]}" --out /tmp/cv --fold "$k" --name "camformer-mini-cv-fold-$k" \
        > "/tmp/cv-$k.log" 2>&1 &
done
timeout $((limit + 90)) "$T" train "${common[@]}" --include-public --out /tmp/full --name camformer-mini-dream-all \
    > /tmp/full.log 2>&1 &
wait
log "training done"
timeout 60 "$T" cv "${common[@]}" --out /tmp/cv 2>&1 | tail -3
for k in 0 1 2 3 4; do
    mkdir -p "/tmp/cv/fold-$k"
    cp "/tmp/cv-$k.log" "/tmp/cv/fold-$k/train.log"
    [ -f "/tmp/cv/fold-$k/manifest.json" ] &&
        "$T" export --model "/tmp/cv/fold-$k" --out "/tmp/models/fold-$k" --dtype f16
done
mkdir -p /tmp/full /tmp/models
cp /tmp/full.log /tmp/full/train.log
tail -n 4 /tmp/cv-*.log /tmp/full.log
tar -C /tmp -cJf "$OUT/cv.tar.xz" --exclude checkpoint --exclude model.safetensors cv
tar -C /tmp -cJf "$OUT/full.tar.xz" --exclude checkpoint full
tar -C /tmp -cJf "$OUT/folds.tar.xz" models
ls -l "$OUT"
log "done"
