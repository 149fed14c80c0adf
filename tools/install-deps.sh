#!/usr/bin/env bash
# Installs the Debian 12 packages the build, the server and the tests need.
# Idempotent and quiet when everything is already there. Needs root (or sudo)
# only when something is missing.
set -euo pipefail

PACKAGES=(
  bazel-bootstrap default-jdk-headless build-essential clang lld
  libclang-rt-14-dev python3
  libgrpc++-dev protobuf-compiler-grpc protobuf-compiler libprotobuf-dev
  librocksdb-dev libp11-dev libp11-kit-dev libssl-dev openssl libabsl-dev
  libgtest-dev libgmock-dev libbenchmark-dev softhsm2 libboost-dev
  clang-format
  libqrencode-dev zlib1g-dev zbar-tools
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
    missing+=("$p")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

SUDO=""
if [ "$(id -u)" -ne 0 ]; then SUDO="sudo"; fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
