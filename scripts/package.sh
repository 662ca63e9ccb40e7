#!/usr/bin/env bash
# Package the Lambda functions for provided.al2023 on arm64, as `sam build`
# does, without Docker.
#
#   scripts/package.sh install     cargo-lambda (PyPI; it brings zig, the
#                                  cross-linker) into .local/cargo-lambda-venv,
#                                  and rustup's aarch64-unknown-linux-gnu target
#   scripts/package.sh build [fn…] every function (or the ones named):
#                                  `cargo lambda build --release --arm64 --bin <fn>`
#                                  at the workspace root, one function at a time,
#                                  which is what SAM's rust-cargolambda builder
#                                  runs for each function (CodeUri `.`, Binary
#                                  <fn>); then checks that each
#                                  target/lambda/<fn>/bootstrap is an aarch64
#                                  ELF, zips it (target/lambda/<fn>/bootstrap.zip,
#                                  what Lambda receives) and prints the sizes.
#
# Env: JOBS               cargo's -j for the build (default: cargo's, one per core)
#      CARGO_TARGET_DIR   as cargo (default: target/); binaries land in
#                         $CARGO_TARGET_DIR/lambda/<fn>/bootstrap
#      INTAKE_LAMBDA_VENV override the venv location
#      PYTHON             python interpreter for the venv (default: python3)
set -euo pipefail

CARGO_LAMBDA_VERSION="1.9.2"
# What `cargo lambda build --arm64` builds for (provided.al2023 on Graviton).
RUST_TARGET="aarch64-unknown-linux-gnu"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

VENV="${INTAKE_LAMBDA_VENV:-$ROOT/.local/cargo-lambda-venv}"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.intake-stamp"
WANT="cargo-lambda==$CARGO_LAMBDA_VERSION"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

log() { printf '==> %s\n' "$*" >&2; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

install() {
    if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" && -x "$VENV/bin/cargo-lambda" ]]; then
        log "cargo-lambda up to date in $VENV ($WANT)"
        return
    fi
    log "installing $WANT (and zig, ziglang on PyPI) into $VENV"
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check "$WANT"
    printf '%s' "$WANT" >"$STAMP"
    "$VENV/bin/cargo-lambda" lambda --version >&2
}

# The standard library for the target (rustup; cargo-lambda would otherwise add it at the first
# build, in the middle of its output).
install_target() {
    if ! rustup target list --installed | grep -qx "$RUST_TARGET"; then
        log "rustup target add $RUST_TARGET"
        rustup target add "$RUST_TARGET" >&2
    fi
}

# The ELF header's class (byte 4: 2 = 64-bit), data (byte 5: 1 = little
# endian) and e_machine (bytes 18-19: 183 = EM_AARCH64).
is_aarch64_elf() {
    local header
    header="$(od -A n -t u1 -N 20 "$1" | tr -s ' \n' ' ')"
    read -r -a bytes <<<"$header"
    [[ "${bytes[0]} ${bytes[1]} ${bytes[2]} ${bytes[3]}" == "127 69 76 70" ]] &&
        [[ "${bytes[4]}" == 2 && "${bytes[5]}" == 1 ]] &&
        ((bytes[18] + 256 * bytes[19] == 183))
}

mib() { awk -v b="$1" 'BEGIN { printf "%.1f MiB", b / 1048576 }'; }

build() {
    [[ -x "$VENV/bin/cargo-lambda" ]] || die "cargo-lambda is not installed: run scripts/package.sh install"
    export PATH="$VENV/bin:$PATH"
    local functions=("$@")
    if ((${#functions[@]} == 0)); then
        for dir in functions/*/; do functions+=("$(basename "$dir")"); done
    fi
    local jobs=()
    [[ -n "${JOBS:-}" ]] && jobs=(--jobs "$JOBS")
    local start=$SECONDS fn t
    for fn in "${functions[@]}"; do
        [[ -f "functions/$fn/Cargo.toml" ]] || die "no function $fn under functions/"
    done
    # The first function's build compiles the dependencies on every core; the others reuse them
    # (the features resolve the same for every function) and compile only their main.rs, which
    # calls a plain function of intake-lambda (under a second each). The CPU time is printed too:
    # in `make test` the build runs beside the suites, where wall time says little.
    local TIMEFORMAT="==> ${#functions[@]} function(s) built: %0R s wall, %0U s user + %0S s system CPU"
    time for fn in "${functions[@]}"; do
        log "cargo lambda build --release --arm64 --bin $fn ${jobs[*]}"
        t=$SECONDS
        cargo lambda build --release --arm64 --bin "$fn" "${jobs[@]}"
        log "$fn built in $((SECONDS - t)) s"
    done
    local built=$((SECONDS - start))

    local failures=0 bootstrap zipfile size zipped
    printf '\n%-20s %12s %12s  %s\n' FUNCTION BOOTSTRAP ZIPPED CHECK
    for fn in "${functions[@]}"; do
        bootstrap="$TARGET_DIR/lambda/$fn/bootstrap"
        if [[ ! -f "$bootstrap" ]]; then
            printf '%-20s %12s %12s  %s\n' "$fn" - - "FAIL: no $bootstrap"
            failures=$((failures + 1))
            continue
        fi
        if ! is_aarch64_elf "$bootstrap"; then
            printf '%-20s %12s %12s  %s\n' "$fn" - - "FAIL: not an aarch64 ELF"
            failures=$((failures + 1))
            continue
        fi
        zipfile="$TARGET_DIR/lambda/$fn/bootstrap.zip"
        rm -f "$zipfile"
        (cd "$(dirname "$bootstrap")" && zip -q -X "$zipfile" bootstrap)
        size=$(stat -c %s "$bootstrap")
        zipped=$(stat -c %s "$zipfile")
        printf '%-20s %12s %12s  %s\n' "$fn" "$(mib "$size")" "$(mib "$zipped")" "ok: ELF 64-bit aarch64"
    done
    log "built ${#functions[@]} function(s) in $built s${JOBS:+ with -j $JOBS}"
    ((failures == 0)) || die "$failures function(s) not packaged"
}

case "${1:-}" in
    install) install; install_target ;;
    build) shift; build "$@" ;;
    *) echo "usage: $0 install | build [function…]" >&2; exit 2 ;;
esac
