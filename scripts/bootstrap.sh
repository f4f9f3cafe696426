#!/usr/bin/env bash
# Install what the tests and the fuzz targets need on a fresh machine; idempotent.
set -euo pipefail
cd "$(dirname "$0")/.."
rustup component add rustfmt clippy >/dev/null 2>&1 || true
# The clients whose byte-exact captures live in ../shared/vectors/wire, and `just`
# (a prebuilt binary from PyPI) for the Justfile's recipes.
python3 -m pip install --quiet --disable-pip-version-check "boto3==1.43.11" "awscli==1.45.11" "rust-just==1.59.0"
if ! command -v just >/dev/null 2>&1; then
    # pip put it in the interpreter's scripts folder, which may not be on PATH.
    scripts_dir="$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')"
    mkdir -p "$HOME/.cargo/bin"
    ln -sf "$scripts_dir/just" "$HOME/.cargo/bin/just"
fi
# cargo-fuzz, for scripts/fuzz.sh (the libFuzzer targets in fuzz/).
if ! cargo fuzz --version >/dev/null 2>&1; then
    cargo install cargo-fuzz --version 0.13.2 --locked
fi
