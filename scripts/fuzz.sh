#!/usr/bin/env bash
# Build the fuzz targets in fuzz/, seed their corpora, and run each for a while.
#
#   bash scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]     # default 60 s, every target
#
# Seeds come from ../shared/vectors (SigV4 suites, wire captures; override the folder
# with SHARED_DIR) and from this repository's scenario and world files; they are
# written to fuzz/corpus/<target>/ (git-ignored), which also keeps what the fuzzer
# finds between runs. Prints, per target: seconds, executions, executions per second,
# corpus size, and any crash with the file that reproduces it (fuzz/artifacts/...).
# Exits non-zero if any target crashed (a panic, a timeout of 10 s on one input, or
# more than 2 GB of memory).
#
# Reproduce a crash:  bash scripts/fuzz.sh repro TARGET fuzz/artifacts/TARGET/crash-...
#
# FUZZ_SCENARIO=0 leaves out scenario_toml, the one target that links the AWS SDK
# (through the harness crate), which triples the cost of a clean build.
#
# Only a stable toolchain is needed: cargo fuzz passes -Z flags to rustc, which
# RUSTC_BOOTSTRAP=1 allows. The sanitizer is off by default (FUZZ_SANITIZER=address to
# turn AddressSanitizer on): the project's crates forbid unsafe code, and what the
# targets look for (panics, hangs, memory blow-ups) libFuzzer sees without it, at
# about twice the speed. Debug assertions are on, so integer overflow panics.
set -euo pipefail
cd "$(dirname "$0")/.."

export RUSTC_BOOTSTRAP=1
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"
export CARGO_BUILD_JOBS="${CARGO_BUILD_JOBS:-2}"
sanitizer="${FUZZ_SANITIZER:-none}"
fuzz_flags=(--sanitizer "$sanitizer" --debug-assertions)
if [[ "${FUZZ_SCENARIO:-1}" == 0 ]]; then
    fuzz_flags+=(--no-default-features)
fi
# libFuzzer options for every run: a 10 s timeout per input is a hang.
libfuzzer_flags=(-timeout=10 -rss_limit_mb=2048 -print_final_stats=1)

if ! cargo fuzz --version >/dev/null 2>&1; then
    echo "cargo-fuzz is not installed: run scripts/bootstrap.sh (cargo install cargo-fuzz --locked)" >&2
    exit 2
fi

# The dictionary a target uses, if any.
dict_for() {
    case "$1" in
        sigv4_header | presigned_query) echo fuzz/dicts/sigv4.dict ;;
        world_toml | scenario_toml) echo fuzz/dicts/toml.dict ;;
        *) [[ -f "fuzz/dicts/$1.dict" ]] && echo "fuzz/dicts/$1.dict" || true ;;
    esac
}

if [[ "${1:-}" == "repro" ]]; then
    [[ $# -eq 3 ]] || { echo "usage: scripts/fuzz.sh repro TARGET CRASH_FILE" >&2; exit 2; }
    # Runs the one input, prints the panic and its backtrace.
    RUST_BACKTRACE=1 exec cargo fuzz run "${fuzz_flags[@]}" "$2" "$3"
fi

seconds="${1:-60}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [SECONDS_PER_TARGET] [TARGET...]" >&2; exit 2; }
shift $(($# > 0 ? 1 : 0))
if [[ $# -gt 0 ]]; then
    targets=("$@")
else
    mapfile -t targets < <(cargo fuzz list)
    if [[ "${FUZZ_SCENARIO:-1}" == 0 ]]; then
        mapfile -t targets < <(printf '%s\n' "${targets[@]}" | grep -vx scenario_toml)
    fi
fi

# cargo fuzz has no --locked: fail here if fuzz/Cargo.lock is out of date.
cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null

echo "== build (sanitizer: $sanitizer)"
start=$(date +%s)
if [[ $# -gt 0 ]]; then
    for t in "${targets[@]}"; do cargo fuzz build "${fuzz_flags[@]}" "$t"; done
else
    cargo fuzz build "${fuzz_flags[@]}"
fi
echo "build: $(($(date +%s) - start)) s"

echo "== seeds"
vectors="${SHARED_DIR:-../shared}/vectors"
if [[ -d "$vectors" ]]; then
    python3 scripts/fuzz_seeds.py fuzz/corpus "$vectors"
else
    echo "SKIP: $vectors not found: no SigV4 or wire-capture seeds; those corpora start empty"
    python3 scripts/fuzz_seeds.py fuzz/corpus -
fi

# The targets run straight from the build, not through `cargo fuzz run`, so nothing
# is rebuilt between them.
bin="fuzz/target/$(rustc -vV | sed -n 's/^host: //p')/release"
logs=fuzz/target/logs
mkdir -p "$logs"
crashes=()
printf '\n%-22s %8s %12s %10s %8s  %s\n' target seconds executions "exec/s" corpus result
for t in "${targets[@]}"; do
    mkdir -p "fuzz/corpus/$t" "fuzz/artifacts/$t"
    flags=("${libfuzzer_flags[@]}" -max_total_time="$seconds" -artifact_prefix="fuzz/artifacts/$t/")
    dict="$(dict_for "$t")"
    [[ -n "$dict" ]] && flags+=(-dict="$dict")
    log="$logs/$t.log"
    t0=$(date +%s)
    status=0
    "$bin/$t" "${flags[@]}" "fuzz/corpus/$t" >"$log" 2>&1 || status=$?
    elapsed=$(($(date +%s) - t0))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
    rate=$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)
    corpus=$(find "fuzz/corpus/$t" -type f | wc -l)
    artifact=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -1)
    if [[ $status -eq 0 ]]; then
        result=ok
    else
        result="CRASH (exit $status) ${artifact:-see $log}"
        crashes+=("$t: ${artifact:-see $log}")
    fi
    printf '%-22s %8s %12s %10s %8s  %s\n' "$t" "$elapsed" "${execs:-?}" "${rate:-?}" "$corpus" "$result"
done

if [[ ${#crashes[@]} -gt 0 ]]; then
    echo
    echo "crashes (logs in $logs/):"
    printf '  %s\n' "${crashes[@]}"
    echo "reproduce: bash scripts/fuzz.sh repro TARGET FILE"
    exit 1
fi
