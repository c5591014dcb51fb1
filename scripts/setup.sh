#!/usr/bin/env bash
# setup.sh: install the Debian packages attn_hpc needs (when missing) and
# configure + build it into build/ (or $ATTN_BUILD_DIR). Safe to re-run.
#   Extra CMake arguments are passed through, e.g. scripts/setup.sh -DATTN_SANITIZE=ON
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${ATTN_BUILD_DIR:-$root/build}

packages=(build-essential cmake pkg-config libopenmpi-dev openmpi-bin libblis-openmp-dev
  libhdf5-openmpi-dev hdf5-tools python3-numpy python3-h5py python3-matplotlib
  slurm-wlm munge)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  echo "setup: installing ${missing[*]}"
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=Release "$@" >/dev/null
cmake --build "$build" -j"$(nproc)" >/dev/null
echo "setup: built attn_hpc, attn_gen, attn_compare in $build"
