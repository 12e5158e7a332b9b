#!/usr/bin/env bash
# The bench on a lent NVIDIA GPU machine (it has a CUDA image with PyTorch, no Node, no network).
#
#   Here:        bash bench/gpu.sh pack       # .gpu/: Node, the webgpu package, the bench bundled, the Vulkan loader
#   On the GPU:  device run with carry [".gpu"] and the command
#                bash bench/gpu.sh run         # our engine through Vulkan + the PyTorch CUDA baseline
#
# `run` prints the adapter first (check it is the NVIDIA GPU, not a software fallback), runs
# `matmul convnet sam` with the packed bundle, then bench/torch_cuda.py, and copies the results
# to $OUT when that is set. Record them in bench/RESULTS.md with the device named.
set -euo pipefail
cd "$(dirname "$0")/.."
case "${1:-}" in
  pack)
    bash ../shared/gpu/pack.sh bench/run.node.ts
    ;;
  run)
    out=${OUT:-/tmp/samgpu-gpu-bench}; mkdir -p "$out"
    bash .gpu/run.sh matmul convnet sam 2>&1 | tee "$out/samgpu.txt"
    [ -f .gpu/RESULTS.md ] && cp .gpu/RESULTS.md "$out/RESULTS.md"
    python3 bench/torch_cuda.py 2>&1 | tee "$out/torch_cuda.json"
    ;;
  *)
    echo "usage: bash bench/gpu.sh pack|run" >&2
    exit 2
    ;;
esac
