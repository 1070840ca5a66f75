#!/bin/sh
# Install every Debian package gradproof needs to build, test, prove, train and benchmark.
# Usage: scripts/install-deps.sh   (as root on Debian 12; idempotent)
. "$(dirname "$0")/usage.sh"; script_help "$0" "$@"
[ $# -eq 0 ] || usage_error "$0" "takes no arguments"
set -eu
PKGS="build-essential autoconf automake libtool pkg-config
      libgsl-dev libopenblas-dev check libjansson-dev zlib1g-dev
      coq libcoq-coquelicot libcoq-flocq gappa libcoq-gappa
      libopenmpi-dev openmpi-bin clang libclang-rt-14-dev clang-format universal-ctags
      gnuplot-nox ca-certificates time
      python3 python3-numpy python3-torch python3-cffi python3-pytest dataset-fashion-mnist"
missing=""
for p in $PKGS; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing="$missing $p"
done
# npm: the machine's Node.js may ship its own (nodesource); use Debian's only when absent.
command -v npm >/dev/null 2>&1 || missing="$missing npm"
if [ -n "$missing" ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "install-deps: need root to install:$missing" >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    # shellcheck disable=SC2086
    apt-get install -y -qq --no-install-recommends $missing
fi
