#!/usr/bin/env bash
# Run by LocalStack once its services are ready (init hook "ready.d"), in Docker
# (docker-compose.yml) and on the host (scripts/localstack.sh) alike.
# Creates every resource of docs/design.md ("AWS resources") with prefix "intake-dev",
# the names and attributes shared/aws/src/bootstrap.rs (ensure_resources) gives them:
# bucket, table (indexes open + jobs, TTL), queues work + express -> work-dlq and
# webhooks -> webhooks-dlq. Idempotent: LocalStack re-runs it after a restart, and every
# create below tolerates "exists".
set -euo pipefail

PREFIX="${INTAKE_PREFIX:-intake-dev}"
REGION="${AWS_DEFAULT_REGION:-us-east-1}"
BUCKET="$PREFIX-files"
TABLE="$PREFIX-state"
QUEUE="$PREFIX-work"
EXPRESS="$PREFIX-express"
DLQ="$PREFIX-work-dlq"
WEBHOOKS="$PREFIX-webhooks"
WEBHOOKS_DLQ="$PREFIX-webhooks-dlq"
# template.yaml's MaxReceiveCount default and the runner's (INTAKE_MAX_RECEIVE_COUNT, default 8).
MAX_RECEIVE_COUNT="${INTAKE_MAX_RECEIVE_COUNT:-8}"
[[ "$MAX_RECEIVE_COUNT" =~ ^[1-9][0-9]*$ ]] || {
    echo "[intake-init] ERROR: INTAKE_MAX_RECEIVE_COUNT must be a positive integer, got '$MAX_RECEIVE_COUNT'" >&2
    exit 1
}

log() { echo "[intake-init] $*"; }

# --- S3 bucket: private, CORS for browser uploads with the pre-signed PUT URLs.
if awslocal s3api head-bucket --bucket "$BUCKET" >/dev/null 2>&1; then
    log "bucket $BUCKET exists"
else
    awslocal s3api create-bucket --bucket "$BUCKET" --region "$REGION" >/dev/null
    log "bucket $BUCKET created"
fi
awslocal s3api put-bucket-cors --bucket "$BUCKET" --cors-configuration '{
  "CORSRules": [{
    "AllowedMethods": ["PUT", "GET", "HEAD"],
    "AllowedOrigins": ["*"],
    "AllowedHeaders": ["content-type", "content-md5", "content-length", "x-amz-*"],
    "ExposeHeaders": ["ETag", "x-amz-request-id", "x-amz-version-id"],
    "MaxAgeSeconds": 3000
  }]
}'

# --- DynamoDB table: pk/sk, on-demand, TTL on "ttl", and two indexes: "open"
# (the reconciler's) and "jobs" (GET /jobs, by tenant and status, newest first).
JOBS_INDEX='{"IndexName": "jobs",
    "KeySchema": [{"AttributeName": "jobs_pk", "KeyType": "HASH"},
                  {"AttributeName": "jobs_sk", "KeyType": "RANGE"}],
    "Projection": {"ProjectionType": "INCLUDE", "NonKeyAttributes": ["job_id", "session_id",
        "status", "created_at", "updated_at", "completed_at", "total", "succeeded_count",
        "failed_count", "cached_count"]}}'
if awslocal dynamodb describe-table --table-name "$TABLE" >/dev/null 2>&1; then
    log "table $TABLE exists"
    # A table created by an earlier version lacks the jobs index.
    if ! awslocal dynamodb describe-table --table-name "$TABLE" \
            --query 'Table.GlobalSecondaryIndexes[].IndexName' --output text | grep -qw jobs; then
        awslocal dynamodb update-table --table-name "$TABLE" \
            --attribute-definitions AttributeName=jobs_pk,AttributeType=S AttributeName=jobs_sk,AttributeType=S \
            --global-secondary-index-updates "[{\"Create\": $JOBS_INDEX}]" >/dev/null
        log "index jobs added to $TABLE"
    fi
else
    awslocal dynamodb create-table \
        --table-name "$TABLE" \
        --attribute-definitions AttributeName=pk,AttributeType=S AttributeName=sk,AttributeType=S \
            AttributeName=open,AttributeType=S AttributeName=open_since,AttributeType=S \
            AttributeName=jobs_pk,AttributeType=S AttributeName=jobs_sk,AttributeType=S \
        --key-schema AttributeName=pk,KeyType=HASH AttributeName=sk,KeyType=RANGE \
        --global-secondary-indexes "[{\"IndexName\": \"open\",
            \"KeySchema\": [{\"AttributeName\": \"open\", \"KeyType\": \"HASH\"},
                          {\"AttributeName\": \"open_since\", \"KeyType\": \"RANGE\"}],
            \"Projection\": {\"ProjectionType\": \"INCLUDE\", \"NonKeyAttributes\": [\"tenant\", \"job_id\"]}},
            $JOBS_INDEX]" \
        --billing-mode PAY_PER_REQUEST >/dev/null
    awslocal dynamodb wait table-exists --table-name "$TABLE"
    log "table $TABLE created"
fi
awslocal dynamodb update-time-to-live --table-name "$TABLE" \
    --time-to-live-specification Enabled=true,AttributeName=ttl >/dev/null 2>&1 \
    || log "TTL on $TABLE already enabled"

# --- SQS. LocalStack's CreateQueue, like SQS, answers QueueNameExists when a queue exists with
# another value for an attribute it is given. The runner (ensure_resources) passes
# VisibilityTimeout and RedrivePolicy as `{"deadLetterTargetArn":"<arn>","maxReceiveCount":N}`
# (compact JSON, the count a number), so the same strings are set here: the runner then finds
# these queues instead of failing. Retention (not passed by the runner) is template.yaml's.
dead_letter_queue() { # name -> URL; 14 days retention
    awslocal sqs create-queue --queue-name "$1" \
        --attributes MessageRetentionPeriod=1209600 --query QueueUrl --output text
}
# name, DLQ URL, retention seconds -> URL of a queue redriving to the DLQ after MAX_RECEIVE_COUNT receives
redriven_queue() {
    local name="$1" dlq_url="$2" retention="$3" dlq_arn attrs url
    dlq_arn="$(awslocal sqs get-queue-attributes --queue-url "$dlq_url" \
        --attribute-names QueueArn --query Attributes.QueueArn --output text)"
    attrs="$(python3 -c 'import json, sys
redrive = json.dumps({"deadLetterTargetArn": sys.argv[1], "maxReceiveCount": int(sys.argv[2])}, separators=(",", ":"))
print(json.dumps({"VisibilityTimeout": "180", "MessageRetentionPeriod": sys.argv[3], "RedrivePolicy": redrive}))' \
        "$dlq_arn" "$MAX_RECEIVE_COUNT" "$retention")"
    # create-queue with other attributes fails on an existing queue: create it bare (or get its
    # URL), then set the attributes, which also repairs a queue an earlier version created.
    url="$(awslocal sqs create-queue --queue-name "$name" --query QueueUrl --output text)"
    awslocal sqs set-queue-attributes --queue-url "$url" --attributes "$attrs"
    printf '%s\n' "$url"
}

DLQ_URL="$(dead_letter_queue "$DLQ")"
log "queue $DLQ ready (retention 14 days)"
# 4 days: template.yaml's retention of the work and express queues.
QUEUE_URL="$(redriven_queue "$QUEUE" "$DLQ_URL" 345600)"
log "queue $QUEUE ready (visibility 180 s, redrive to $DLQ after $MAX_RECEIVE_COUNT receives)"
# The express queue (dispatch messages, small jobs) shares the work queue's DLQ.
EXPRESS_URL="$(redriven_queue "$EXPRESS" "$DLQ_URL" 345600)"
log "queue $EXPRESS ready (same settings, redrive to $DLQ)"

WEBHOOKS_DLQ_URL="$(dead_letter_queue "$WEBHOOKS_DLQ")"
log "queue $WEBHOOKS_DLQ ready (retention 14 days)"
WEBHOOKS_URL="$(redriven_queue "$WEBHOOKS" "$WEBHOOKS_DLQ_URL" 1209600)"
log "queue $WEBHOOKS ready (visibility 180 s, retention 14 days, redrive to $WEBHOOKS_DLQ after $MAX_RECEIVE_COUNT receives)"

log "done: INTAKE_BUCKET=$BUCKET INTAKE_TABLE=$TABLE INTAKE_WORK_QUEUE_URL=$QUEUE_URL INTAKE_EXPRESS_QUEUE_URL=$EXPRESS_URL INTAKE_WORK_DLQ_URL=$DLQ_URL INTAKE_WEBHOOK_QUEUE_URL=$WEBHOOKS_URL INTAKE_WEBHOOK_DLQ_URL=$WEBHOOKS_DLQ_URL"
