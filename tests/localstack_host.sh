#!/usr/bin/env bash
# `make localstack-check`: checks scripts/localstack.sh end to end on this machine:
#   install (idempotent) -> bad input refused -> start on a spare port, ready (health + init hook,
#   no hook in state ERROR) -> every resource of the hook with its attributes -> the hook again
#   (idempotent) -> loopback only: every listening socket of LocalStack and of its children
#   (DynamoDB Local) is on 127.0.0.1 -> localstack/docker-compose.yml, which cannot run here (no
#   Docker engine), checked for what it shares with host mode: the release, the settings, the hook,
#   and its healthcheck's command run against this LocalStack (healthy) and against this
#   LocalStack's own init state with the hook's state turned to ERROR (unhealthy)
#   -> stop by PID: processes gone, port closed, PID file removed.
# Prints "N passed, M failed"; exit 1 if a check failed.
# LOCALSTACK_CHECK_PORT (default 4597) is the port used, so a LocalStack of `make dev` on 4566
# is not in the way; a LocalStack started by scripts/localstack.sh must not be running already
# (one PID file).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

say() { printf '[localstack] check: %s\n' "$*" >&2; }
LS="$ROOT/scripts/localstack.sh"
PORT="${LOCALSTACK_CHECK_PORT:-4597}"
URL="http://127.0.0.1:$PORT"
PID_FILE="$ROOT/.local/run/localstack.pid"
AWS=("$ROOT/.local/localstack-venv/bin/aws" --endpoint-url "$URL" --region us-east-1 --output text)
export AWS_ACCESS_KEY_ID=test AWS_SECRET_ACCESS_KEY=test AWS_DEFAULT_REGION=us-east-1
unset AWS_ENDPOINT_URL AWS_ENDPOINT_URL_S3 AWS_ENDPOINT_URL_SQS AWS_ENDPOINT_URL_DYNAMODB AWS_PROFILE

passed=0
failed=0
ok() { passed=$((passed + 1)); say "ok: $*"; }
ko() { failed=$((failed + 1)); say "FAILED: $*"; }
check() { # description, command...
  local what="$1"; shift
  if "$@"; then ok "$what"; else ko "$what"; fi
}

if [[ -f "$PID_FILE" ]] && kill -0 "$(tr -dc '0-9' <"$PID_FILE")" 2>/dev/null; then
  say "ERROR: a LocalStack started by scripts/localstack.sh is running (pid $(cat "$PID_FILE")); stop it first"
  exit 1
fi

pid=""
cleanup() {
  if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
    INTAKE_LOCALSTACK_PORT="$PORT" "$LS" stop >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

# ---------------------------------------------------------------- install, bad input
t0=$SECONDS
check "install" "$LS" install
say "install took $((SECONDS - t0))s"
check "install is idempotent (stamp)" bash -c "'$LS' install 2>&1 | grep -q 'already installed in .local/localstack-venv'"
refused() { # expected message, command... -> the command fails and prints the message
  local want="$1" out rc=0
  shift
  out="$("$@" 2>&1)" || rc=$?
  ((rc != 0)) && grep -qF "$want" <<<"$out"
}
check "a bad port is refused with a clear error" \
  refused "invalid INTAKE_LOCALSTACK_PORT 'abc'" env INTAKE_LOCALSTACK_PORT=abc "$LS" start
check "a bad backend is refused with a clear error" \
  refused "INTAKE_BACKEND must be" env INTAKE_BACKEND=docker bash scripts/dev.sh
check "an unknown command is refused" refused "usage: scripts/localstack.sh" "$LS" frobnicate

# ---------------------------------------------------------------- start, readiness
t0=$SECONDS
if INTAKE_LOCALSTACK_PORT="$PORT" "$LS" start; then
  ok "start (ready after $((SECONDS - t0))s)"
else
  ko "start"
  say "$passed passed, $failed failed"
  echo "$passed passed, $failed failed"
  exit 1
fi
pid="$(tr -dc '0-9' <"$PID_FILE")"
check "PID file names the launcher" grep -q host-launcher.py "/proc/$pid/cmdline"
check "status says ready" bash -c "INTAKE_LOCALSTACK_PORT=$PORT '$LS' status | grep -q 'health=ok hook=done'"
init="$(curl -fsS "$URL/_localstack/init")"
check "init hook SUCCESSFUL, none in ERROR" \
  bash -c "grep -q '\"10-intake-resources.sh\", \"state\": \"SUCCESSFUL\"' <<<'$init' && ! grep -q ERROR <<<'$init'"
check "env file points every service at $URL" bash -c "
  grep -qx 'AWS_ENDPOINT_URL_S3=$URL' .local/localstack.env &&
  grep -qx 'AWS_ENDPOINT_URL_SQS=$URL' .local/localstack.env &&
  grep -qx 'AWS_ENDPOINT_URL_DYNAMODB=$URL' .local/localstack.env &&
  grep -qx 'INTAKE_S3_FORCE_PATH_STYLE=1' .local/localstack.env"

# ---------------------------------------------------------------- the hook's resources
# shellcheck disable=SC2015 # "A && B || fail" is meant: fail when A or B fails
resources_ok() {
  local p=intake-dev q attrs table out
  "${AWS[@]}" s3api head-bucket --bucket "$p-files" >/dev/null || { say "no bucket $p-files"; return 1; }
  # Outputs are captured before grep -q: a pipe closed early makes the aws CLI fail (EPIPE).
  out="$("${AWS[@]}" s3api get-bucket-cors --bucket "$p-files")" && grep -q PUT <<<"$out" \
    || { say "no CORS on $p-files"; return 1; }
  table="$("${AWS[@]}" dynamodb describe-table --table-name "$p-state" \
    --query 'Table.[KeySchema[].AttributeName, GlobalSecondaryIndexes[].IndexName, BillingModeSummary.BillingMode]')"
  for want in pk sk open jobs PAY_PER_REQUEST; do
    grep -qw "$want" <<<"$table" || { say "table $p-state lacks $want: $table"; return 1; }
  done
  out="$("${AWS[@]}" dynamodb describe-time-to-live --table-name "$p-state")" \
    && grep -q 'ENABLED.*ttl\|ttl.*ENABLED' <<<"$out" || { say "TTL on ttl not enabled"; return 1; }
  for q in work express webhooks; do
    attrs="$("${AWS[@]}" --output json sqs get-queue-attributes --attribute-names All \
      --queue-url "$URL/queue/us-east-1/000000000000/$p-$q")" || { say "no queue $p-$q"; return 1; }
    local dlq="$p-work-dlq"
    [[ "$q" == webhooks ]] && dlq="$p-webhooks-dlq"
    jq -e --arg dlq "arn:aws:sqs:us-east-1:000000000000:${dlq}" '.Attributes
        | (.VisibilityTimeout == "180")
          and (.RedrivePolicy | fromjson | .deadLetterTargetArn == $dlq and (.maxReceiveCount | tostring) == "8")' \
      <<<"$attrs" >/dev/null || { say "$p-$q: visibility or redrive: $attrs"; return 1; }
  done
  for q in work-dlq webhooks-dlq; do
    out="$("${AWS[@]}" sqs get-queue-attributes --attribute-names MessageRetentionPeriod \
      --queue-url "$URL/queue/us-east-1/000000000000/$p-$q")" && grep -q 1209600 <<<"$out" \
      || { say "$p-$q: retention"; return 1; }
  done
}
check "hook created bucket (CORS), table (pk/sk, GSIs open+jobs, on-demand, TTL), work/express -> work-dlq and webhooks -> webhooks-dlq (visibility 180, maxReceiveCount 8)" resources_ok
check "the hook is idempotent (second run on the same LocalStack)" bash -c "
  PATH='$ROOT/.local/localstack-venv/bin':\$PATH LOCALSTACK_HOST=127.0.0.1:$PORT AWS_ENDPOINT_URL='$URL' \
    bash localstack/init/ready.d/10-intake-resources.sh >/dev/null"
check "resources unchanged after the second run" resources_ok

# ---------------------------------------------------------------- loopback only
descendants() { # pid -> the pid and all its descendants
  local p c
  for p in "$@"; do
    echo "$p"
    for c in $(pgrep -P "$p" || true); do descendants "$c"; done
  done
}
loopback_only() {
  local pids listening bad
  pids="$(descendants "$pid" | sort -u)"
  listening="$(ss -Hltnp | grep -E "pid=($(paste -sd'|' <<<"$pids"))," || true)"
  say "listening sockets of LocalStack (pids $(paste -sd' ' <<<"$pids")):"
  printf '%s\n' "$listening" | awk '{print "    " $4 "  " $6}' >&2
  grep -q "127.0.0.1:$PORT " <<<"$listening" || { say "nothing on 127.0.0.1:$PORT"; return 1; }
  grep -q java <<<"$listening" || { say "DynamoDB Local (java) not listening"; return 1; }
  # The local address column (4th) must be 127.0.0.1 (IPv4 or IPv4-mapped IPv6) for every socket.
  bad="$(awk '$4 !~ /^(127\.0\.0\.1|\[::ffff:127\.0\.0\.1\]):[0-9]+$/' <<<"$listening")"
  [[ -z "$bad" ]] || { say "listening beyond loopback: $bad"; return 1; }
  # UDP too (the DNS server is off: DNS_ADDRESS=0).
  ! ss -Hlunp | grep -E "pid=($(paste -sd'|' <<<"$pids"))," | awk '$4 !~ /^127\.0\.0\.1:/' | grep -q . \
    || { say "UDP listening beyond loopback"; return 1; }
}
check "loopback only: every listening socket of LocalStack and DynamoDB Local is on 127.0.0.1" loopback_only

# ---------------------------------------------------------------- docker-compose.yml
# Docker mode is not run here; what it has in common with host mode is checked instead.
compose_matches_host() {
  local version
  version="$(sed -n 's/^LOCALSTACK_VERSION="\(.*\)"$/\1/p' "$LS")"
  "$ROOT/.local/localstack-venv/bin/python" - "$ROOT/localstack/docker-compose.yml" "$version" <<'PY'
import os, sys, yaml
compose, version = yaml.safe_load(open(sys.argv[1])), sys.argv[2]
service = compose["services"]["localstack"]
env = service["environment"]
expected = {
    "SERVICES": "s3,sqs,dynamodb",
    "LOCALSTACK_HOST": "127.0.0.1:4566",
    "SQS_ENDPOINT_STRATEGY": "path",
    "S3_SKIP_SIGNATURE_VALIDATION": "0",
    "PERSISTENCE": "0",
}
problems = [f"{key}={env.get(key)!r}, host mode has {want!r}" for key, want in expected.items()
            if str(env.get(key)) != want]
image_release = service["image"].rsplit(":", 1)[1]
if not version.startswith(image_release + "."):
    problems.append(f"image {service['image']} is not the host's release {version}")
if service["ports"] != ["127.0.0.1:4566:4566"]:
    problems.append(f"ports {service['ports']}: not loopback-only 4566")
hook_dir = os.path.join(os.path.dirname(sys.argv[1]), "init/ready.d")
if service["volumes"] != ["./init/ready.d:/etc/localstack/init/ready.d:ro"] or not os.path.isfile(
        os.path.join(hook_dir, "10-intake-resources.sh")):
    problems.append(f"volumes {service['volumes']}: not the host's hook directory")
for problem in problems:
    print("docker-compose.yml:", problem, file=sys.stderr)
sys.exit(1 if problems else 0)
PY
}
check "docker-compose.yml: the host's release, settings, loopback-only port and init hook" compose_matches_host
# The healthcheck's shell command as Docker runs it (compose's $$ is a $), against this
# LocalStack; with a FILE argument, the body of /_localstack/init is FILE's contents instead.
healthcheck() {
  local command
  command="$("$ROOT/.local/localstack-venv/bin/python" -c '
import sys, yaml
test = yaml.safe_load(open(sys.argv[1]))["services"]["localstack"]["healthcheck"]["test"]
assert test[0] == "CMD-SHELL", test
print(test[1].replace("$$", "$"))' "$ROOT/localstack/docker-compose.yml")"
  command="${command//http:\/\/localhost:4566/$URL}"
  if [[ $# -gt 0 ]]; then command="${command//curl -fsS $URL\/_localstack\/init/cat $1}"; fi
  sh -c "$command"
}
check "docker-compose.yml's healthcheck: healthy on a LocalStack whose hook succeeded" healthcheck
unhealthy_when_the_hook_failed() {
  local body rc=0
  body="$(mktemp)"
  curl -fsS "$URL/_localstack/init" | sed 's/"state": *"SUCCESSFUL"/"state": "ERROR"/' >"$body"
  if ! grep -q '"state": "ERROR"' "$body"; then
    say "no hook state to turn to ERROR in $(cat "$body")"
    rc=1
  elif healthcheck "$body"; then
    rc=1
  fi
  rm -f "$body"
  return "$rc"
}
check "docker-compose.yml's healthcheck: unhealthy when the hook's state is ERROR" unhealthy_when_the_hook_failed

# ---------------------------------------------------------------- stop by PID
all_pids="$(descendants "$pid" | sort -u)"
check "stop" env INTAKE_LOCALSTACK_PORT="$PORT" "$LS" stop
gone() {
  local p
  for p in $all_pids; do kill -0 "$p" 2>/dev/null && { say "pid $p still alive"; return 1; }; done
  ! (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null || { say "port $PORT still open"; return 1; }
  [[ ! -f "$PID_FILE" && ! -f "$ROOT/.local/localstack.env" ]] || { say "PID or env file left"; return 1; }
}
check "stopped by PID: LocalStack and DynamoDB Local gone, port closed, PID and env files removed" gone
check "status after stop says stopped (exit 1)" refused "localstack: stopped" env INTAKE_LOCALSTACK_PORT="$PORT" "$LS" status
pid=""

say "$passed passed, $failed failed"
echo "$passed passed, $failed failed"
((failed == 0))
