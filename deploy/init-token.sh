#!/usr/bin/env bash
# Initialises a PKCS#11 token for smdpd and generates the SM-DP+ keys in it
# (never outside). For SoftHSMv2 or any HSM whose module works with
# pkcs11-tool (Debian package opensc).
#
#   deploy/init-token.sh MODULE LABEL CURVE...   e.g.
#   SO_PIN=... PIN=... deploy/init-token.sh /usr/lib/softhsm/libsofthsm2.so smdp nist brp
#
# Makes dpauth-<curve>, dppb-<curve>, dptls-<curve> key pairs (sensitive,
# non-extractable) and prints their public keys for the CSRs to the CI.
set -euo pipefail
[ $# -ge 3 ] || { echo "usage: $0 MODULE LABEL CURVE..." >&2; exit 2; }
: "${SO_PIN:?set SO_PIN}" "${PIN:?set PIN}"
module=$1; label=$2; shift 2
command -v pkcs11-tool >/dev/null || { echo "install opensc (pkcs11-tool)" >&2; exit 1; }
if ! pkcs11-tool --module "$module" --list-token-slots 2>/dev/null | grep -q "token label *: *$label\$"; then
  if command -v softhsm2-util >/dev/null && [ "$module" = /usr/lib/softhsm/libsofthsm2.so ]; then
    softhsm2-util --init-token --free --label "$label" --so-pin "$SO_PIN" --pin "$PIN" >/dev/null
  else
    pkcs11-tool --module "$module" --init-token --label "$label" --so-pin "$SO_PIN"
    pkcs11-tool --module "$module" --token-label "$label" --init-pin --so-pin "$SO_PIN" --pin "$PIN"
  fi
fi
for curve in "$@"; do
  case $curve in
    nist) name=prime256v1 ;;
    brp) name=brainpoolP256r1 ;;
    *) echo "unknown curve $curve (nist or brp)" >&2; exit 2 ;;
  esac
  for role in dpauth dppb dptls; do
    pkcs11-tool --module "$module" --token-label "$label" --login --pin "$PIN" \
      --keypairgen --key-type "EC:$name" --label "$role-$curve" \
      --usage-sign --sensitive >/dev/null
    echo "generated $role-$curve on $name"
  done
done
