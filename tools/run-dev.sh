#!/usr/bin/env bash
# Runs smdpd on a fresh Debian 12 machine: installs what is missing, builds,
# and starts smdpd with the embedded default (dev mode): data dir
# ./smdp-data, a SoftHSM token and a dev PKI made on first run, gRPC on
# 127.0.0.1:9443. Extra arguments go to smdpd (e.g. --config=FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
bazel build //smdp:smdpd //smdp:smdpctl >&2
exec bazel-bin/smdp/smdpd "$@"
