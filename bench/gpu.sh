#!/usr/bin/env bash
# The bench on a lent NVIDIA GPU machine (it has a CUDA image with PyTorch, no Node, no network).
#
#   Here:        bash bench/gpu.sh pack       # .gpu/: Node, the webgpu package, the bench bundled, the Vulkan loader
#   On the GPU:  device run with carry [".gpu"] and the command
#                bash bench/gpu.sh run         # our engine through Vulkan + the PyTorch CUDA baseline
#
# `run` prints the adapter first (check it is the NVIDIA GPU, not a software fallback), runs
# `tune matmul convnet sam steps` with the packed bundle: the tuner times every GPU variant on
# the bench's shapes and compares tuned with default in one run (the cases after it use the
# tuned choices), matmul up to 8192³ (BENCH_MATMUL_SIZES), the conv layers of ResNet-18 and
# ResNet-50 (BENCH_RESNET50=1), the small-CNN steps, and the ResNet-18/50 SGD and SAM steps
# (their weights and batch go to $out/steps); then bench/torch_cuda.py on the same weights, then
# a summary: matmul 4096³ and our largest as a % of the GPU's fp32 peak, the small-CNN and
# ResNet-18/50 steps against PyTorch CUDA's, and how tuned compares with default. It copies
# everything to $OUT when that is set (samgpu.txt, RESULTS.md, HISTORY.md, samgpu.json,
# torch_cuda.json, summary.txt). Record them in bench/RESULTS.md with the device named. Repack
# after changing the bench: the run uses .gpu/app.mjs. Budget: well under 10 minutes on an H100
# (compiles take milliseconds there; the 8192³ matmuls and ResNet-50 steps dominate).
#
# fp32 peak: BENCH_FP32_PEAK_GFLOPS if set; otherwise by the name nvidia-smi gives (dense fp32,
# no tensor cores, from NVIDIA's data sheets): H100 SXM and H200 67000, H100 NVL 60000,
# H100 PCIe 51200, A100 19500; any other or no name: 67000 (the default), said so in the output.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  pack)
    # the packer of the machine that lends the GPU (it bundles Node, Dawn and the Vulkan loader
    # with an entry into .gpu/): its path is the platform's, not the project's
    bash "${SAMGPU_GPU_PACK:?set SAMGPU_GPU_PACK to the pack script of the GPU machine}" bench/run.node.ts
    ;;
  run)
    out=${OUT:-/tmp/samgpu-gpu-bench}; mkdir -p "$out"; out=$(cd "$out" && pwd) # app.mjs runs in .gpu/
    gpu=$(nvidia-smi --query-gpu=name --format=csv,noheader 2>/dev/null | head -1 || true)
    if [ -z "${BENCH_FP32_PEAK_GFLOPS:-}" ]; then
      case "$gpu" in
        *H100*NVL*) peak=60000 ;;
        *H100*PCIe*) peak=51200 ;;
        *A100*) peak=19500 ;;
        *H100* | *H200*) peak=67000 ;;
        *) peak=67000; gpu="${gpu:-unknown GPU} (not in gpu.sh's table: the default assumed)" ;;
      esac
      export BENCH_FP32_PEAK_GFLOPS=$peak BENCH_FP32_PEAK_NOTE="gpu.sh's figure for ${gpu}"
    fi
    export BENCH_MATMUL_SIZES=${BENCH_MATMUL_SIZES:-1024,2048,4096,8192}
    export BENCH_NUMPY=${BENCH_NUMPY:-0} # numpy's CPU BLAS says nothing next to a GPU
    export BENCH_JSON="$out/samgpu.json" BENCH_RESNET50=1 BENCH_STEPS_DIR="$out/steps"
    export SAMGPU_CACHE_DIR="$out/tune-cache" # a fresh tune cache: every class is timed on this GPU
    rm -f .gpu/RESULTS.md .gpu/HISTORY.md "$BENCH_JSON" # this run's sections only
    # on failure go on: the other half and the summary still say something
    bash .gpu/run.sh tune matmul convnet sam steps 2>&1 | tee "$out/samgpu.txt" || echo "gpu.sh: the samgpu bench failed" >&2
    for f in RESULTS.md HISTORY.md; do if [ -f .gpu/$f ]; then cp .gpu/$f "$out/$f"; fi; done
    python3 bench/torch_cuda.py "$out/steps" 2>&1 | tee "$out/torch_cuda.json" || echo "gpu.sh: torch_cuda.py failed" >&2
    # The summary the goals ask for; torch_cuda.json's last {...} line is its result.
    python3 - "$BENCH_JSON" "$out/torch_cuda.json" "$BENCH_FP32_PEAK_GFLOPS" <<'EOF' | tee "$out/summary.txt"
import json, sys

def load(path):
    try:
        lines = [l for l in open(path) if l.startswith("{")]
        return json.loads(lines[-1]) if lines else {}
    except (OSError, ValueError):
        return {}

ours, torch, peak = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3])
mm = {int(k): v for k, v in ours.get("matmul", {}).get("gflops", {}).items()}
tmm = {int(k): v for k, v in torch.get("matmul_gflops", {}).items()}
if mm:
    for n in sorted({4096, max(mm)} & set(mm)):
        t = f"; PyTorch CUDA (fp32, TF32 off) {tmm[n]:.0f} GFLOP/s = {100 * tmm[n] / peak:.1f}%" if n in tmm else ""
        print(f"matmul {n}^3 (tuned): samgpu {mm[n]:.0f} GFLOP/s = {100 * mm[n] / peak:.1f}% of fp32 peak {peak:.0f} GFLOP/s{t}")
else:
    print("large matmul: no samgpu result (see samgpu.txt)")
tune = ours.get("tune", {})
if tune:
    rows = tune.get("rows", [])
    slower = [r["name"] for r in rows if r["tunedMs"] > 1.03 * r["defaultMs"]]
    best = max(rows, key=lambda r: r["defaultMs"] / r["tunedMs"]) if rows else None
    print(f"tuned vs default on {len(rows)} bench shapes: {len(slower)} slower by > 3% ({', '.join(slower) or 'none'})" + (f"; largest gain {best['defaultMs'] / best['tunedMs']:.2f}x on {best['name']}" if best else ""))
steps = ours.get("steps", {})
for model in ("resnet18", "resnet50"):
    for opt in ("sgd", "sam"):
        o, t = steps.get(model, {}).get(opt), torch.get(f"{model}_{opt}")
        if o and t:
            print(f"{model} {opt} step (batch 16, 32x32) samgpu / PyTorch CUDA: {o['ms']:.2f} / {t['ms']:.2f} ms = {o['ms'] / t['ms']:.2f}x; first losses {o['losses'][0]:.5f} / {t['losses'][0]:.5f}")
        elif o:
            print(f"{model} {opt} step: samgpu {o['ms']:.2f} ms; no PyTorch CUDA result ({torch.get('resnet_error', 'see torch_cuda.json')})")
step = ours.get("sam", {}).get("stepMs", {})
if "error" in torch or not torch:
    print(f"training step: no PyTorch CUDA result ({torch.get('error', 'see torch_cuda.json')})")
elif "sgd" in step and "sam" in step:
    s, m = torch["small_cnn_sgd_ms"], torch["small_cnn_sam_ms"]
    print(f"training step (small CNN, batch 128) samgpu / PyTorch CUDA: SGD {step['sgd']:.2f} / {s:.2f} ms = {step['sgd'] / s:.2f}x, SAM {step['sam']:.2f} / {m:.2f} ms = {step['sam'] / m:.2f}x (on {torch.get('device', '?')})")
else:
    print("training step: no samgpu result (see samgpu.txt)")
EOF
    ;;
  *)
    echo "usage: bash bench/gpu.sh pack|run" >&2
    exit 2
    ;;
esac
