#!/usr/bin/env bash
# Cold-start init time of every Lambda function, measured on this machine:
# each function's host (x86_64) release binary is started RUNS times against
# a stub of the Lambda runtime API (scripts/cold-start.py) with the
# emulators' endpoints and the template's configuration variables in its
# environment, and timed from spawn to its first /next poll (Lambda's Init
# Duration, minus the sandbox's own start and the download of the package).
#
# Usage: scripts/cold-start.sh [function…]   (default: every function)
# Env:   RUNS     starts per function (default 5)
#        JOBS     cargo's -j for the host build (default 1)
#        PROFILE  cargo profile of the host build: release (default, as deployed)
#                 or dev (quicker to build when the release one is not there;
#                 its times are not those of the deployed binaries)
#        INTAKE_MOTO_PORT / INTAKE_MOTO_SQS_PORT / INTAKE_DYNAMODB_PORT
#              the emulators' ports (scripts/emulators.sh)
# The emulators are started if needed and stopped afterwards only if this
# script started them. Nothing is created on them: at init the functions
# only read their configuration (no AWS call is made before the first event).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
say() { printf '==> %s\n' "$*" >&2; }
# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"

RUNS="${RUNS:-5}"
functions=("$@")
if ((${#functions[@]} == 0)); then
    for dir in functions/*/; do functions+=("$(basename "$dir")"); done
fi
bins=()
for fn in "${functions[@]}"; do bins+=(--bin "$fn"); done

PROFILE="${PROFILE:-release}"
case "$PROFILE" in
    release) bin_dir=release ;;
    dev) bin_dir=debug ;;
    *) echo "PROFILE must be release or dev" >&2; exit 2 ;;
esac
say "cargo build --profile $PROFILE -j ${JOBS:-1} ${bins[*]}"
start=$SECONDS
cargo build --profile "$PROFILE" -j "${JOBS:-1}" "${bins[@]}"
say "host build: $((SECONDS - start)) s"

stop_own_emulators_at_exit
start_emulators

# The variables template.yaml's Globals give the functions, at the template's
# defaults; resource names on the emulators (they need not exist for init).
sqs="${AWS_ENDPOINT_URL_SQS%/}/000000000000"
export INTAKE_TABLE=intake-cold-start-state
export INTAKE_BUCKET=intake-cold-start-files
export INTAKE_WORK_QUEUE_URL="$sqs/intake-cold-start-work"
export INTAKE_EXPRESS_QUEUE_URL="$sqs/intake-cold-start-express"
export INTAKE_WORK_DLQ_URL="$sqs/intake-cold-start-work-dlq"
export INTAKE_WEBHOOK_QUEUE_URL="$sqs/intake-cold-start-webhook"
export INTAKE_WEBHOOK_DLQ_URL="$sqs/intake-cold-start-webhook-dlq"
export INTAKE_MAX_RECEIVE_COUNT=8 INTAKE_UPLOAD_URL_TTL_SECS=900 INTAKE_MAX_FILE_BYTES=52428800
export INTAKE_MAX_FILES_PER_SESSION=2000 INTAKE_RESULT_INLINE_LIMIT=1048576 INTAKE_RETENTION_DAYS=30
export INTAKE_CACHE_TTL_SECS=86400 INTAKE_METRICS_NAMESPACE=InvoiceIntake/cold-start RUST_LOG=info

say "load average: $(cut -d' ' -f1-3 /proc/loadavg) on $(nproc) core(s)"
say "profile $PROFILE"
python3 "$ROOT/scripts/cold-start.py" "${CARGO_TARGET_DIR:-$ROOT/target}/$bin_dir" "$RUNS" "${functions[@]}"
