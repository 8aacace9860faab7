#!/usr/bin/env bash
# Sets up everything Backlot needs on Debian/Ubuntu with Node 20+: Debian packages that are
# missing, npm packages, the build. Safe to run again; it only installs what is missing.
#   scripts/setup.sh          what the demo needs (ffmpeg, python3 with torch, OpenBLAS)
#   scripts/setup.sh --test   also what the test suite needs (PostgreSQL server, Chromium, exiftool)
set -euo pipefail
cd "$(dirname "$0")/.."

want_test=0
for a in "$@"; do [ "$a" = "--test" ] && want_test=1; done

say() { printf 'setup: %s\n' "$*" >&2; }
as_root() { if [ "$(id -u)" = 0 ]; then "$@"; elif command -v sudo >/dev/null; then sudo "$@"; else say "need root to run: $*"; exit 1; fi; }

node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
if [ "$node_major" -lt 20 ]; then say "Node 20 or newer is required (found $(node --version 2>/dev/null || echo none))"; exit 1; fi

missing=()
have_pkg() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }
need() { for p in "$@"; do have_pkg "$p" || missing+=("$p"); done; }

need ffmpeg openssl fonts-dejavu-core
python_bin="${BACKLOT_PYTHON:-/usr/bin/python3}"
if ! "$python_bin" -c 'import torch' >/dev/null 2>&1; then need python3-torch python3-numpy; fi
need libopenblas0-openmp
if [ "$want_test" = 1 ]; then need postgresql chromium libimage-exiftool-perl; fi

if [ "${#missing[@]}" -gt 0 ]; then
  say "installing Debian packages: ${missing[*]}"
  as_root apt-get update -qq
  as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# Debian's torch links the reference BLAS; OpenBLAS (OpenMP build) makes a 1024² matmul ~2.7x faster.
for lib in libblas.so.3 liblapack.so.3; do
  alt="$lib-x86_64-linux-gnu"
  target="/usr/lib/x86_64-linux-gnu/openblas-openmp/$lib"
  if [ -e "$target" ] && update-alternatives --query "$alt" >/dev/null 2>&1; then
    current=$(update-alternatives --query "$alt" | sed -n 's/^Value: //p')
    [ "$current" = "$target" ] || as_root update-alternatives --set "$alt" "$target" >/dev/null
  fi
done

# onnxruntime-node's install script would fetch CUDA files from the internet; the CPU binary ships in
# the package. package.json's allowScripts skips it on npm 11, the variable on older npm.
export ONNXRUNTIME_NODE_INSTALL=skip
if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  say "installing npm packages"
  npm ci --no-audit --no-fund --loglevel=error
fi
say "building"
npm run --silent build >/dev/null
say "ready"
