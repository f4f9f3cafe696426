#!/usr/bin/env bash
# The test command: every cargo test in the workspace (unit, property, vector,
# wire-capture and scenario tests), then boto3 and the AWS CLI against the
# emulator binary, then kill -9 and race rounds (scripts/durability.py). Needs
# python3 with boto3 and awscli (scripts/bootstrap.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
# cargo test built the emulator binary for its integration tests (same features);
# a separate `cargo build -p emulator` would resolve features anew and rebuild.
python3 scripts/live_clients.py target/debug/emulator
python3 scripts/durability.py --binary target/debug/emulator
