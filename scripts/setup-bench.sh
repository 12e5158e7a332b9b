#!/usr/bin/env bash
# Peers for `npm run bench` (not needed by the tests): numpy with OpenBLAS (the CPU's BLAS peak;
# Debian's numpy falls back to the slow reference BLAS without it) and PyTorch CPU.
set -euo pipefail
sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends python3-numpy libopenblas0-pthread python3-torch
/usr/bin/python3 -c 'import numpy, torch; print("bench peers: numpy", numpy.__version__, "torch", torch.__version__)'
