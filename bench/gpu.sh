#!/usr/bin/env bash
# The bench on a lent NVIDIA GPU machine (it has a CUDA image with PyTorch, no Node, no network).
#
#   Here:        bash bench/gpu.sh pack       # .gpu/: Node, the webgpu package, the bench bundled, the Vulkan loader
#   On the GPU:  device run with carry [".gpu"] and the command
#                bash bench/gpu.sh run         # our engine through Vulkan + the PyTorch CUDA baseline
#
# `run` prints the adapter first (check it is the NVIDIA GPU, not a software fallback), runs
# `matmul convnet sam` with the packed bundle (matmul up to 8192³: BENCH_MATMUL_SIZES), then
# bench/torch_cuda.py, then a summary: our largest matmul as a % of the GPU's fp32 peak, and our
# small-CNN training step against PyTorch CUDA's. It copies everything to $OUT when that is set
# (samgpu.txt, RESULTS.md, HISTORY.md, samgpu.json, torch_cuda.json, summary.txt). Record them
# in bench/RESULTS.md with the device named. Repack after changing the bench: the run uses .gpu/app.mjs.
#
# fp32 peak: BENCH_FP32_PEAK_GFLOPS if set; otherwise by the name nvidia-smi gives (dense fp32,
# no tensor cores, from NVIDIA's data sheets): H100 SXM and H200 67000, H100 NVL 60000,
# H100 PCIe 51200, A100 19500; any other or no name: 67000 (the default), said so in the output.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  pack)
    bash ../shared/gpu/pack.sh bench/run.node.ts
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
    export BENCH_JSON="$out/samgpu.json"
    rm -f .gpu/RESULTS.md .gpu/HISTORY.md "$BENCH_JSON" # this run's sections only
    # on failure go on: the other half and the summary still say something
    bash .gpu/run.sh matmul convnet sam 2>&1 | tee "$out/samgpu.txt" || echo "gpu.sh: the samgpu bench failed" >&2
    for f in RESULTS.md HISTORY.md; do if [ -f .gpu/$f ]; then cp .gpu/$f "$out/$f"; fi; done
    python3 bench/torch_cuda.py 2>&1 | tee "$out/torch_cuda.json" || echo "gpu.sh: torch_cuda.py failed" >&2
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
    n = max(mm)
    t = f"; PyTorch CUDA (fp32, TF32 off) {tmm[n]:.0f} GFLOP/s = {100 * tmm[n] / peak:.1f}%" if n in tmm else ""
    print(f"large matmul {n}^3: samgpu {mm[n]:.0f} GFLOP/s = {100 * mm[n] / peak:.1f}% of fp32 peak {peak:.0f} GFLOP/s{t}")
else:
    print("large matmul: no samgpu result (see samgpu.txt)")
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
