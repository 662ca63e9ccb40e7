# shellcheck shell=bash
# Sourced by bench.sh and api-conformance.sh (which set ROOT, define `say` and source lib.sh):
# intake-local in the background on a free loopback port, with resources of its own, and
# stopped by PID.
#
#   start_runner BIN LOG PREFIX TENANTS_FILE API_KEY
#       starts BIN (intake-local) with the resource prefix PREFIX and the tenants file
#       TENANTS_FILE, its output in LOG; waits until the API answers a request made with API_KEY;
#       sets runner_pid and base_url. The caller's environment passes through (e.g.
#       INTAKE_ADMIN_API_KEY, INTAKE_ALLOW_LOOPBACK_WEBHOOKS, RUST_LOG; INTAKE_RATE_LIMIT, 0 if
#       unset).
#   stop_runner       SIGINT (in-flight batches finish), SIGKILL after 10 s.
#   delete_resources  deletes the PREFIX-* table, queues and bucket from the emulators (for
#                     emulators that keep running after the script).
#   clean_up_at_exit  at exit, however the script exits (keeping its status): stop_runner, then
#                     the emulators if the script started them (lib.sh), else delete_resources
#                     unless keep_resources=1; work_dir, the script's scratch folder, is removed.

runner_pid=""
runner_prefix=""
base_url=""
work_dir=""
keep_resources=0

random_hex() { od -An -N"$1" -tx1 /dev/urandom | tr -d ' \n'; }

start_runner() {
  local bin="$1" log="$2" api_key="$5" deadline code
  runner_prefix="$3"
  say "starting intake-local (prefix $runner_prefix, log $log)"
  # Port 0: the kernel picks a free loopback port; the runner prints the address it got.
  # No rate limit unless the caller names one (INTAKE_RATE_LIMIT): the callers exercise the API
  # and the pipeline, not the throttle.
  INTAKE_LISTEN=127.0.0.1:0 \
  INTAKE_RATE_LIMIT="${INTAKE_RATE_LIMIT:-0}" \
  INTAKE_METRICS_LISTEN=127.0.0.1:0 \
  INTAKE_PREFIX="$runner_prefix" \
  INTAKE_TENANTS_FILE="$4" \
    "$bin" </dev/null >"$log" 2>&1 &
  runner_pid=$!

  base_url=""
  deadline=$((SECONDS + 60))
  until [[ -n "$base_url" ]]; do
    if ! kill -0 "$runner_pid" 2>/dev/null; then
      say "intake-local exited during start-up:"
      tail -n 40 "$log" >&2 || true
      return 1
    fi
    if ((SECONDS >= deadline)); then
      say "intake-local did not start within 60 s:"
      tail -n 40 "$log" >&2 || true
      return 1
    fi
    base_url="$(sed -n 's#^invoice-intake API on \(http://127\.0\.0\.1:[0-9][0-9]*\).*#\1#p' "$log" | head -n1)"
    [[ -n "$base_url" ]] || sleep 0.2
  done

  # The API answers (an unknown session is a 404 problem for a valid key).
  deadline=$((SECONDS + 30))
  until code="$(curl --noproxy '*' -s -o /dev/null -w '%{http_code}' -m 5 \
                  -H "x-api-key: $api_key" "$base_url/sessions/ses_probe")" && [[ "$code" == 404 ]]; do
    if ((SECONDS >= deadline)); then
      say "the API at $base_url does not answer as expected (last status: ${code:-none})"
      tail -n 40 "$log" >&2 || true
      return 1
    fi
    sleep 0.2
  done
  say "API answers on $base_url"
}

stop_runner() {
  [[ -n "$runner_pid" ]] || return 0
  if kill -0 "$runner_pid" 2>/dev/null; then
    say "stopping intake-local (pid $runner_pid)"
    kill -INT "$runner_pid" 2>/dev/null || true
    local n
    for ((n = 0; n < 100; n++)); do   # up to 10 s: in-flight batches finish
      kill -0 "$runner_pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$runner_pid" 2>/dev/null; then
      say "intake-local ignored SIGINT, sending SIGKILL"
      kill -KILL "$runner_pid" 2>/dev/null || true
    fi
  fi
  wait "$runner_pid" 2>/dev/null || true
  runner_pid=""
}

delete_resources() {
  local python="$ROOT/.local/venv/bin/python"
  [[ -n "$runner_prefix" && -x "$python" ]] || return 0
  say "deleting the $runner_prefix-* resources from the emulators"
  timeout 120 "$python" - "$runner_prefix" <<'PY' >&2 || say "WARNING: could not delete all $runner_prefix-* resources"
import os, sys
import boto3
from botocore.config import Config
prefix = sys.argv[1]
cfg = Config(retries={"max_attempts": 2}, s3={"addressing_style": "path"})
s3 = boto3.client("s3", endpoint_url=os.environ["AWS_ENDPOINT_URL_S3"], config=cfg)
sqs = boto3.client("sqs", endpoint_url=os.environ["AWS_ENDPOINT_URL_SQS"], config=cfg)
ddb = boto3.client("dynamodb", endpoint_url=os.environ["AWS_ENDPOINT_URL_DYNAMODB"], config=cfg)
for name in (f"{prefix}-work", f"{prefix}-express", f"{prefix}-work-dlq", f"{prefix}-webhooks", f"{prefix}-webhooks-dlq"):
    try:
        sqs.delete_queue(QueueUrl=sqs.get_queue_url(QueueName=name)["QueueUrl"])
    except Exception as error:
        print(f"queue {name}: {error}")
try:
    ddb.delete_table(TableName=f"{prefix}-state")
except Exception as error:
    print(f"table {prefix}-state: {error}")
bucket = f"{prefix}-files"
try:
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket):
        keys = [{"Key": o["Key"]} for o in page.get("Contents", [])]
        if keys:
            s3.delete_objects(Bucket=bucket, Delete={"Objects": keys, "Quiet": True})
    s3.delete_bucket(Bucket=bucket)
except Exception as error:
    print(f"bucket {bucket}: {error}")
PY
}

clean_up_at_exit() {
  trap _clean_up_and_exit EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

_clean_up_and_exit() {
  local rc=$?
  trap - EXIT INT TERM
  stop_runner
  if ((stop_emulators)); then
    stop_own_emulators
  elif ((!keep_resources)); then
    delete_resources
  fi
  [[ -n "$work_dir" ]] && rm -rf "$work_dir"
  exit "$rc"
}
