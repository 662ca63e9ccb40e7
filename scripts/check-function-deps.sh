#!/usr/bin/env bash
# Which Lambda functions link the document engine (crate intake-engine)?
#
# Lists every function under functions/ with what it serves (an API route
# or an event source) and whether its normal dependencies include
# intake-engine (the workspace's inverted `cargo tree -i intake-engine -e normal`,
# which unifies features across members as `sam build --bin <fn>` does). Only the functions named
# in ENGINE_FUNCTIONS read documents; the script fails if any other one
# links the engine (the API functions must be built without it).
#
# Usage: scripts/check-function-deps.sh
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

# The functions that run the engine: the work-queue worker.
ENGINE_FUNCTIONS=(process-file)

# "api" when the function serves API Gateway requests (intake_lambda::run_route,
# run_routes or run_method_not_allowed), otherwise "events" (a queue, a schedule).
kind_of() {
    if grep -Eq 'intake_lambda::run_(routes?|method_not_allowed)\(' "functions/$1/src/main.rs"; then
        echo api
    else
        echo events
    fi
}

# Every crate of the workspace that links the engine, directly or not, in one
# call: the inverted tree of intake-engine over normal dependencies (--prefix
# none: one crate per line, "name vX.Y.Z (path)").
engine_users="$(cargo tree -q --workspace -e normal -i intake-engine --prefix none | cut -d' ' -f1 | sort -u)"

failures=0
printf '%-20s %-7s %-13s %s\n' FUNCTION KIND LINKS-ENGINE VERDICT
for dir in functions/*/; do
    fn="$(basename "$dir")"
    kind="$(kind_of "$fn")"
    if grep -qx "$fn" <<<"$engine_users"; then
        links=yes
    else
        links=no
    fi
    allowed=no
    for engine_fn in "${ENGINE_FUNCTIONS[@]}"; do
        [[ "$fn" == "$engine_fn" ]] && allowed=yes
    done
    if [[ "$links" == yes && "$allowed" == no ]]; then
        verdict="FAIL: does not read documents, must not link the engine"
        failures=$((failures + 1))
    elif [[ "$links" == no && "$allowed" == yes ]]; then
        verdict="FAIL: reads documents, must link the engine"
        failures=$((failures + 1))
    else
        verdict=ok
    fi
    printf '%-20s %-7s %-13s %s\n' "$fn" "$kind" "$links" "$verdict"
done
if ((failures)); then
    echo "check-function-deps: $failures function(s) with the wrong dependencies" >&2
    exit 1
fi
echo "check-function-deps: only ${ENGINE_FUNCTIONS[*]} link(s) intake-engine"
