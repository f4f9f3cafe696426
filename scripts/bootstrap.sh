#!/usr/bin/env bash
# Install what the tests need on a fresh machine; idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup component add rustfmt clippy >/dev/null 2>&1 || true
# The clients whose byte-exact captures live in ../shared/vectors/wire.
python3 -m pip install --quiet --disable-pip-version-check "boto3==1.43.11" "awscli==1.45.11"
