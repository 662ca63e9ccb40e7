#!/usr/bin/env bash
# The API as outside clients see it, against the local stack (the backend of scripts/lib.sh and
# intake-local, debug build, on a free loopback port, with resources and keys of its own):
#
#   scripts/api-conformance.sh client         (`make generated-client`)
#       a Python client generated from openapi.yaml by openapi-python-client runs the six steps
#       on corpus invoices and checks their results (tests/api/lifecycle.py).
#   scripts/api-conformance.sh schemathesis   (`make schemathesis`, a step of `make test`)
#       the client's six steps first (their session and job are real ids for schemathesis to
#       use), then schemathesis against openapi.yaml: every check, every phase (examples,
#       coverage, fuzzing, stateful), for SCHEMATHESIS_MAX_TIME seconds; fails on any failure or
#       server error. Settings and the reasons for them: tests/api/schemathesis.toml.
#   scripts/api-conformance.sh install
#       only the pinned tools, into .local/api-tools-venv (the other commands install them too).
#
# Environment (all optional):
#   CARGO_TARGET_DIR        where cargo builds (default <repo>/target)
#   INTAKE_PREBUILT_BIN_DIR the directory of an intake-local already built (no build)
#   SCHEMATHESIS_MAX_TIME   seconds of schemathesis's two runs together (default 90: with the
#                           install, under 3 minutes of a cold `make test`)
#   SCHEMATHESIS_SEED       schemathesis's seed (default: a random one, printed, to reproduce a run)
#   INTAKE_CORPUS           the corpus the client uploads from (default <repo>/../shared/corpus)
# The runner keeps the service's default limits (openapi.yaml states them: 2000 files per
# session, 52428800 bytes per file), and runs without a rate limit and without loopback webhooks.
# Exit status: 0 when everything asked for passed; 1 otherwise; 2 on bad usage.
set -euo pipefail

SCHEMATHESIS_VERSION="4.32.5"
OPENAPI_PYTHON_CLIENT_VERSION="0.29.1"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
VENV="$ROOT/.local/api-tools-venv"
STAMP="$VENV/.intake-stamp"
WANT="schemathesis==$SCHEMATHESIS_VERSION openapi-python-client==$OPENAPI_PYTHON_CLIENT_VERSION"
CORPUS="${INTAKE_CORPUS:-$ROOT/../shared/corpus}"

say() { printf '[api] %s\n' "$*" >&2; }
# shellcheck source=scripts/services.sh
. "$ROOT/scripts/services.sh"

usage() {
  say "usage: scripts/api-conformance.sh client|schemathesis|install"
  exit 2
}

install_tools() {
  local want
  want="$WANT python=$(python_id)"
  if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$want" && -x "$VENV/bin/st" && -x "$VENV/bin/openapi-python-client" ]]; then
    say "$WANT already installed in .local/api-tools-venv"
    return
  fi
  say "installing $WANT into .local/api-tools-venv ..."
  local started=$SECONDS
  rm -rf "$VENV"
  python3 -m venv "$VENV" || { say "ERROR: python3 -m venv failed (Debian/Ubuntu: apt-get install python3-venv)"; exit 1; }
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 "$VENV/bin/python" -m pip install --quiet --no-input \
      "schemathesis==$SCHEMATHESIS_VERSION" "openapi-python-client==$OPENAPI_PYTHON_CLIENT_VERSION" \
    || { say "ERROR: pip install of $WANT failed (is PyPI reachable?)"; exit 1; }
  printf '%s\n' "$want" >"$STAMP"
  say "installed in $((SECONDS - started)) s"
}

[[ $# -eq 1 ]] || usage
case "$1" in
  install) install_tools; exit 0 ;;
  client | schemathesis) mode="$1" ;;
  *) usage ;;
esac

# shellcheck source=scripts/lib.sh
. "$ROOT/scripts/lib.sh"
# shellcheck source=scripts/runner.sh
. "$ROOT/scripts/runner.sh"

clean_up_at_exit

started=$SECONDS
install_tools
"$EMU" install
start_emulators
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"

# The debug build: no second profile. `make test` gives its own build's binary
# (INTAKE_PREBUILT_BIN_DIR): `cargo build -p intake-local` alone resolves features differently
# from `cargo test --workspace` and would compile the AWS SDK a second time.
runner_bin="${INTAKE_PREBUILT_BIN_DIR:-$TARGET_DIR/debug}/intake-local"
if [[ -n "${INTAKE_PREBUILT_BIN_DIR:-}" ]]; then
  say "the intake-local of $INTAKE_PREBUILT_BIN_DIR (INTAKE_PREBUILT_BIN_DIR): no build"
else
  say "cargo build -p intake-local (target dir $TARGET_DIR)"
  CARGO_TARGET_DIR="$TARGET_DIR" cargo build -p intake-local
fi

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/intake-api.XXXXXX")"
# Two tenants (schemathesis's checks of another tenant's ids) and an operator key, all fresh.
export INTAKE_API_TENANT_KEY="ik_api_$(random_hex 16)"
export INTAKE_API_OTHER_TENANT_KEY="ik_api_$(random_hex 16)"
export INTAKE_ADMIN_API_KEY="ik_api_admin_$(random_hex 16)"
printf '[{"tenant": "api-%s", "api_key": "%s"}, {"tenant": "api-other-%s", "api_key": "%s"}]\n' \
  "$(random_hex 3)" "$INTAKE_API_TENANT_KEY" "$(random_hex 3)" "$INTAKE_API_OTHER_TENANT_KEY" \
  >"$work_dir/tenants.json"
RUST_LOG="${INTAKE_API_RUST_LOG:-warn}" start_runner "$runner_bin" "$work_dir/runner.log" \
  "api-$(random_hex 3)-$RANDOM" "$work_dir/tenants.json" "$INTAKE_API_TENANT_KEY"

client_started=$SECONDS
say "openapi-python-client generate (openapi.yaml -> $work_dir/client)"
# A warning means parts of the document were left out of the client: a failure too.
if ! "$VENV/bin/openapi-python-client" generate --path "$ROOT/openapi.yaml" --meta none \
       --config "$ROOT/tests/api/openapi-python-client.yaml" \
       --output-path "$work_dir/client/intake_api_client" >"$work_dir/generate.log" 2>&1 \
     || grep -qi 'warning' "$work_dir/generate.log"; then
  cat "$work_dir/generate.log" >&2
  say "FAILED: openapi-python-client did not generate the whole client from openapi.yaml"
  exit 1
fi
say "the six steps with the generated client (tests/api/lifecycle.py)"
if ! PYTHONPATH="$work_dir/client" "$VENV/bin/python" "$ROOT/tests/api/lifecycle.py" \
       --url "$base_url" --corpus "$CORPUS" --ids-out "$work_dir/ids.json"; then
  say "FAILED: the generated client's six steps"
  exit 1
fi
say "generated client: six steps in $((SECONDS - client_started)) s"

schemathesis_rc=0
if [[ "$mode" == schemathesis ]]; then
  # The settings and hooks of tests/api, plus the client's session and job as values of the ids
  # (half the time) of the operations that take them: without them every job operation would
  # see only 404s.
  config="$work_dir/schemathesis.toml"
  "$VENV/bin/python" - "$ROOT/tests/api" "$work_dir/ids.json" >"$config" <<'PY'
import json, sys
settings, ids = sys.argv[1], json.load(open(sys.argv[2]))
print(f'hooks = "{settings}/hooks.py"')
print(open(f"{settings}/schemathesis.toml").read())
print(f"""
[dictionaries.session]
values = ["{ids['session_id']}"]

[dictionaries.job]
values = ["{ids['job_id']}"]

[[operations]]
include-operation-id = ["getSession", "confirmUpload", "submitExtraction"]
parameters = {{ "path.id" = {{ dictionary = "session", probability = 0.5 }} }}

# Not deleteJob: the job would be gone for the rest of the run; the stateful phase deletes it last.
[[operations]]
include-operation-id = ["getJob", "getJobStatus", "getJobResult", "getJobEvents", "listWebhookDeliveries", "replayWebhook"]
parameters = {{ "path.id" = {{ dictionary = "job", probability = 0.5 }} }}""")
PY
  max_time="${SCHEMATHESIS_MAX_TIME:-90}"
  seed="${SCHEMATHESIS_SEED:-$(( (RANDOM << 15) | RANDOM ))}"
  # Two runs, so that the stateful phase (the links) always gets its share of the time: in one
  # run the coverage phase of a loaded machine can spend all of it.
  unit_time=$((max_time * 3 / 5))
  say "schemathesis $SCHEMATHESIS_VERSION: all checks, all phases in $max_time s, seed $seed (SCHEMATHESIS_SEED=$seed reproduces it)"
  for run in "examples,coverage,fuzzing $unit_time" "stateful $((max_time - unit_time))"; do
    read -r phases seconds <<<"$run"
    say "schemathesis --phases $phases --max-time $seconds"
    run_started=$SECONDS
    run_rc=0
    # The output goes to a file as well, for the summary below. In the scratch folder: Hypothesis
    # keeps a .hypothesis folder in the working directory whatever the settings say.
    (cd "$work_dir" && "$VENV/bin/st" --no-color --config-file "$config" run "$ROOT/openapi.yaml" \
      --url "$base_url" --checks all --phases "$phases" \
      --max-time "$seconds" --seed "$seed") 2>&1 | tee "$work_dir/schemathesis.log" >&2 \
      || run_rc=$?
    say "schemathesis --phases $phases: exit $run_rc in $((SECONDS - run_started)) s; its summary:"
    grep -A1 '^Test cases:' "$work_dir/schemathesis.log" | tail -n 1 >&2 || true
    tail -n 1 "$work_dir/schemathesis.log" >&2
    ((run_rc == 0)) || schemathesis_rc=$run_rc
  done
fi

if grep -qE 'panicked' "$work_dir/runner.log"; then
  say "FAILED: the runner panicked:"
  grep -E 'panicked' "$work_dir/runner.log" | head -n 10 >&2
  exit 1
fi
say "took $((SECONDS - started)) s in all"
if ((schemathesis_rc != 0)); then
  say "FAILED: schemathesis found failures or errors (exit $schemathesis_rc); see above"
  exit 1
fi
say "passed"
