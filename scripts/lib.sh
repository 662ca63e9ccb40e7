# shellcheck shell=bash
# Sourced by dev.sh, test.sh, bench.sh and chaos.sh (which set ROOT and define `say`):
# the AWS backend those scripts run against, started if needed and stopped at exit only
# when the script started it.
#
# INTAKE_BACKEND picks the backend:
#   emulators (default)  moto (S3, SQS) + DynamoDB Local: scripts/emulators.sh, .local/emulators.env
#   localstack           LocalStack on the host for all three: scripts/localstack.sh, .local/localstack.env
INTAKE_BACKEND="${INTAKE_BACKEND:-emulators}"
case "$INTAKE_BACKEND" in
  emulators)
    EMU="$ROOT/scripts/emulators.sh"
    ENV_FILE="$ROOT/.local/emulators.env"
    ;;
  localstack)
    EMU="$ROOT/scripts/localstack.sh"
    ENV_FILE="$ROOT/.local/localstack.env"
    ;;
  *)
    printf "ERROR: INTAKE_BACKEND must be 'emulators' (default: moto + DynamoDB Local) or 'localstack', got '%s'\n" \
      "$INTAKE_BACKEND" >&2
    exit 2
    ;;
esac
stop_emulators=0

# Exports the KEY=value lines of an env file (values taken literally).
load_env() {
  local key value
  while IFS='=' read -r key value || [[ -n "$key" ]]; do
    [[ "$key" =~ ^[A-Z_][A-Z0-9_]*$ ]] || continue
    export "$key=$value"
  done <"$1"
}

# Starts the backend (INTAKE_BACKEND) and exports its endpoints; fails if it cannot start.
start_emulators() {
  if "$EMU" status >/dev/null 2>&1; then
    say "$INTAKE_BACKEND was already running: leaving it running afterwards"
  else
    stop_emulators=1
  fi
  "$EMU" start || return 1
  load_env "$ENV_FILE"
}

# Stops the backend if start_emulators started it.
stop_own_emulators() {
  if ((stop_emulators)); then
    say "stopping $INTAKE_BACKEND"
    "$EMU" stop || say "WARNING: stopping $INTAKE_BACKEND failed (see ${EMU#"$ROOT"/} status)"
  fi
}

# Stops the emulators this script started when it exits, however it exits
# (Ctrl-C and TERM included), keeping its exit status. A script's own clean-up, when it defines a
# function `cleanup_before_exit`, runs first.
stop_own_emulators_at_exit() {
  trap _stop_own_emulators_and_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

_stop_own_emulators_and_exit() {
  local rc=$?
  trap - EXIT INT TERM
  if declare -F cleanup_before_exit >/dev/null; then cleanup_before_exit; fi
  stop_own_emulators
  exit "$rc"
}

# Builds the workspace's tests (`cargo test --workspace --no-run`, extra arguments passed on) and
# writes the paths of the end-to-end test executables (package intake-tests) into the file $1, one
# per line. The LocalStack run executes exactly these binaries: `cargo test -p intake-tests` would
# resolve features differently from `--workspace` and compile the AWS SDK and the test crates a
# second time.
build_end_to_end_tests() {
  local list="$1"
  shift
  mkdir -p "$(dirname "$list")"
  cargo test --workspace --no-run --message-format=json-render-diagnostics "$@" |
    python3 -c '
import json, sys
manifest = sys.argv[1]
for line in sys.stdin:
    if not line.startswith("{"):
        continue
    message = json.loads(line)
    if (message.get("reason") == "compiler-artifact" and message.get("executable")
            and message["profile"]["test"] and message["manifest_path"] == manifest):
        print(message["executable"])
' "$ROOT/tests/Cargo.toml" >"$list"
  [[ -s "$list" ]] || { say "ERROR: no end-to-end test executable in the build's output"; return 1; }
}
