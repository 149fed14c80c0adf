#!/usr/bin/env bash
# Runs smdpd on a fresh Debian 12 machine: installs what is missing, builds,
# and starts smdpd with the embedded default (dev mode): data dir
# ./smdp-data, a SoftHSM token, a dev PKI and dev gRPC TLS certificates
# (smdp-data/pki/grpc, with the admin client certificate smdpctl uses) made on
# first run, gRPC over TLS on 127.0.0.1:9443. Extra arguments go to smdpd
# (e.g. --config=FILE).
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/install-deps.sh
bazel build //smdp:smdpd //smdp:smdpctl >&2
exec bazel-bin/smdp/smdpd "$@"
