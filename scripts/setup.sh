#!/usr/bin/env bash
# Make WebGPU work on this machine, then install the npm dependencies. Idempotent.
#
# Dawn (npm `webgpu`) needs a Vulkan driver. On a machine without a GPU that is
# Mesa's lavapipe, and Dawn rejects Mesa < 24 (requestAdapter() returns null:
# "shaderUniform*ArrayDynamicIndexing required"). Debian 12 ships 22.3, so there
# we take Mesa from bookworm-backports; Ubuntu >= 24.04 and Debian >= 13 have a
# new enough Mesa of their own.
set -euo pipefail
cd "$(dirname "$0")/.."
say() { printf 'setup: %s\n' "$*"; }

mesa_ok() {
  local v
  v=$(dpkg-query -W -f='${Version}' mesa-vulkan-drivers 2>/dev/null || true)
  case "$v" in 2[4-9].*|[3-9][0-9].*) return 0 ;; *) return 1 ;; esac
}
has_nvidia_icd() { ls /usr/share/vulkan/icd.d/nvidia*.json /etc/vulkan/icd.d/nvidia*.json >/dev/null 2>&1; }

install_vulkan() {
  if ! command -v apt-get >/dev/null; then
    say "no apt-get: install a Vulkan driver (Mesa >= 24 lavapipe or a GPU driver) and the Vulkan loader yourself"
    return 0
  fi
  local sudo=""; [ "$(id -u)" = 0 ] || sudo="sudo"
  local apt_opts=(-y -qq --no-install-recommends)
  . /etc/os-release
  export DEBIAN_FRONTEND=noninteractive
  if [ "${ID:-}" = debian ] && [ "${VERSION_CODENAME:-}" = bookworm ]; then
    if ! grep -rqs bookworm-backports /etc/apt/sources.list /etc/apt/sources.list.d/; then
      local uri
      uri=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -1)
      [ -n "$uri" ] || uri=http://deb.debian.org/debian
      say "adding bookworm-backports ($uri) for Mesa >= 24"
      printf 'Types: deb\nURIs: %s\nSuites: bookworm-backports\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' "$uri" \
        | $sudo tee /etc/apt/sources.list.d/backports.sources >/dev/null
    fi
    $sudo apt-get update -qq
    say "installing mesa-vulkan-drivers and libvulkan1 from bookworm-backports"
    $sudo apt-get install "${apt_opts[@]}" -t bookworm-backports mesa-vulkan-drivers libvulkan1
  else
    $sudo apt-get update -qq
    say "installing mesa-vulkan-drivers and libvulkan1"
    $sudo apt-get install "${apt_opts[@]}" mesa-vulkan-drivers libvulkan1
  fi
}

if mesa_ok || has_nvidia_icd; then
  say "Vulkan driver present ($(dpkg-query -W -f='mesa ${Version}' mesa-vulkan-drivers 2>/dev/null || echo 'GPU driver'))"
else
  install_vulkan
fi

if [ -d node_modules/webgpu ] && [ node_modules/.package-lock.json -nt package-lock.json ]; then
  say "npm dependencies up to date"
else
  say "npm ci"
  npm ci --no-audit --no-fund --loglevel=error
fi

say "checking for a WebGPU adapter"
node --import ./scripts/register-loader.mjs scripts/check-adapter.ts
