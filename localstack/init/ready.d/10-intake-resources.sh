#!/usr/bin/env bash
# Run by LocalStack once its services are ready (init hook "ready.d").
# Creates the dev resources of docs/design.md with prefix "intake-dev". Idempotent:
# LocalStack re-runs it after a restart, and every create below tolerates "exists".
set -euo pipefail

PREFIX="${INTAKE_PREFIX:-intake-dev}"
REGION="${AWS_DEFAULT_REGION:-us-east-1}"
BUCKET="$PREFIX-files"
TABLE="$PREFIX-state"
QUEUE="$PREFIX-work"
EXPRESS="$PREFIX-express"
DLQ="$PREFIX-work-dlq"
MAX_RECEIVE_COUNT="${INTAKE_MAX_RECEIVE_COUNT:-5}"

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

# --- SQS: dead-letter queue (14 days), then the work queue redriving to it.
# create-queue returns the existing URL when the attributes match.
DLQ_URL="$(awslocal sqs create-queue --queue-name "$DLQ" \
    --attributes MessageRetentionPeriod=1209600 \
    --query QueueUrl --output text)"
DLQ_ARN="$(awslocal sqs get-queue-attributes --queue-url "$DLQ_URL" \
    --attribute-names QueueArn --query Attributes.QueueArn --output text)"
log "queue $DLQ ready"

REDRIVE="{\"deadLetterTargetArn\":\"$DLQ_ARN\",\"maxReceiveCount\":\"$MAX_RECEIVE_COUNT\"}"
ATTRS="$(python3 -c 'import json,sys; print(json.dumps({"VisibilityTimeout": "180", "MessageRetentionPeriod": "345600", "RedrivePolicy": sys.argv[1]}))' "$REDRIVE")"
QUEUE_URL="$(awslocal sqs create-queue --queue-name "$QUEUE" --attributes "$ATTRS" \
    --query QueueUrl --output text)"
# Re-apply in case the queue existed with other settings.
awslocal sqs set-queue-attributes --queue-url "$QUEUE_URL" --attributes "$ATTRS"
log "queue $QUEUE ready (visibility 180 s, redrive to $DLQ after $MAX_RECEIVE_COUNT receives)"

# The express queue (dispatch messages, small jobs) shares the work queue's DLQ.
EXPRESS_URL="$(awslocal sqs create-queue --queue-name "$EXPRESS" --attributes "$ATTRS" \
    --query QueueUrl --output text)"
awslocal sqs set-queue-attributes --queue-url "$EXPRESS_URL" --attributes "$ATTRS"
log "queue $EXPRESS ready (same settings, redrive to $DLQ)"

log "done: INTAKE_BUCKET=$BUCKET INTAKE_TABLE=$TABLE INTAKE_WORK_QUEUE_URL=$QUEUE_URL INTAKE_EXPRESS_QUEUE_URL=$EXPRESS_URL"
