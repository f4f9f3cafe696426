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

# The test command from README: cargo test + live boto3/AWS CLI clients.
test:
    bash scripts/test.sh

# The scenario catalogue against the embedded emulator.
scenarios *ARGS:
    cargo run -q -p harness -- run scenarios {{ARGS}}

# Policy fuzzing: the emulator against a reference model and metamorphic relations
# (`just fuzz-policy --mode inprocess --time 10m`).
fuzz-policy *ARGS:
    cargo run -q --release -p harness -- fuzz {{ARGS}}

# Serve a world file on a free local port.
emulator WORLD="scripts/worlds/clients.toml":
    cargo run -q -p emulator -- serve --world {{WORLD}}

# What CI runs.
ci:
    bash .ci/run
