#!/usr/bin/env bash
# Installs the Debian packages tensorhaus needs, skipping those already present.
# Idempotent: a second run does nothing but check. Needs root (or sudo) when
# something is missing.
set -euo pipefail

PACKAGES=(
  build-essential cmake ninja-build ccache pkg-config clang-format
  libtorch-dev libopenblas0-openmp libblas-dev liblapack-dev libeigen3-dev
  liboscpack-dev ableton-link-dev libasio-dev librtmidi-dev
  catch2 sentencepiece libpcre2-dev libicu-dev iproute2
  nlohmann-json3-dev libtomlplusplus-dev libcli11-dev libfmt-dev
  libsndfile1-dev libcairo2-dev fonts-dejavu-core
  supercollider-server sc3-plugins-server supercollider-language sc3-plugins-language jackd2
  sox aubio-tools liblo-tools python3-mido python3-numpy python3-torch
  bible-kjv-text bible-kjv
)

missing=()
for p in "${PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]} == 0)); then
  echo "install-deps: all ${#PACKAGES[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
SUDO=""
[[ $(id -u) -eq 0 ]] || SUDO="sudo"
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
