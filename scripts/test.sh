#!/usr/bin/env bash
# The test command: every cargo test in the workspace (unit, property, vector,
# wire-capture and scenario tests), then boto3 and the AWS CLI against the
# emulator binary. Needs python3 with boto3 and awscli (scripts/bootstrap.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo test --workspace --locked
cargo build -p emulator --locked
python3 scripts/live_clients.py target/debug/emulator
