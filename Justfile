# Everyday commands. `just` lists them.

default:
    @just --list

# Install what the tests need (pip packages, rustfmt, clippy).
bootstrap:
    bash scripts/bootstrap.sh

# Format the workspace.
fmt:
    cargo fmt --all

# Lints with warnings as errors.
lint:
    cargo clippy --workspace --all-targets -- -D warnings

# The test command from README: cargo test, live boto3/AWS CLI clients, durability rounds.
test:
    bash scripts/test.sh

# kill -9 and 64-way race rounds against `emulator serve` (`just durability 50 50` runs longer).
durability KILLS="3" RACES="3":
    cargo build -q -p emulator
    python3 scripts/durability.py --kills {{KILLS}} --races {{RACES}}

# The scenario catalogue against the embedded emulator.
scenarios *ARGS:
    cargo run -q -p harness -- run scenarios {{ARGS}}

# Serve a world file on a free local port.
emulator WORLD="scripts/worlds/clients.toml":
    cargo run -q -p emulator -- serve --world {{WORLD}}

# Benchmarks side by side: ceiling, floor, emulator, moto (about 12 minutes; docs/benchmarks.md).
bench:
    bash scripts/bench.sh

# Only the growth curve: RSS and listing latency at 10k, 100k, 1M objects (about 2 minutes).
bench-scale:
    bash scripts/bench.sh scale

# Instructions per request of PutObject, DeleteObject and AssumeRole (callgrind; needs valgrind).
instructions:
    bash scripts/instructions.sh

# The same for whole servers (ceiling, floor, emulator) under loadgen (about 5 minutes).
instructions-server:
    bash scripts/instructions.sh server

# Where one request's instructions go in a whole server: `just profile put`, `just profile --cache put` (callgrind; needs valgrind).
profile +ARGS:
    bash scripts/profile.sh {{ARGS}}

# Servers under the same loads, interleaved round by round: `just compare ceiling emulator`.
compare +SERVERS:
    bash scripts/compare.sh {{SERVERS}}

# harness fuzz throughput against its targets, beside a model-alone baseline (about 2 minutes).
bench-fuzz:
    cargo bench -p policy-fuzz --bench fuzz

# The criterion microbenchmarks (SigV4 verification, policy evaluation and parsing, error rendering, the pipeline).
microbench *ARGS:
    cargo bench -p emulator --bench sigv4 --bench policy --bench errors --bench pipeline {{ARGS}}

# Fuzz every target (or the named ones) for SECONDS each; crashes land in fuzz/artifacts/.
fuzz SECONDS="60" *TARGETS:
    bash scripts/fuzz.sh {{SECONDS}} {{TARGETS}}

# Policy fuzzing: the emulator against the reference model (`just fuzz-policy 10m`).
fuzz-policy TIME="60s" *ARGS:
    cargo run --release -q -p harness -- fuzz --time {{TIME}} {{ARGS}}

# What CI runs.
ci:
    bash .ci/run
