#!/usr/bin/env bash
# Install what the tests and the fuzz targets need on a fresh machine; idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup component add rustfmt clippy >/dev/null 2>&1 || true
# The clients whose byte-exact captures live in ../shared/vectors/wire.
python3 -m pip install --quiet --disable-pip-version-check "boto3==1.43.11" "awscli==1.45.11"
# cargo-fuzz, for scripts/fuzz.sh (the libFuzzer targets in fuzz/).
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --version 0.13.2 --locked
fi
