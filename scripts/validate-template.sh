#!/usr/bin/env bash
# Validate template.yaml offline with `sam validate` and `cfn-lint`.
#
# Installs pinned aws-sam-cli and cfn-lint from PyPI into .local/tools-venv
# (git-ignored). The install is skipped when the stamp file matches the pins, so
# re-runs take a few seconds. After the install nothing touches the network:
#   - `sam validate` (plain, not --lint) runs the SAM translator locally. It needs
#     *some* credentials and a region to start, so dummy ones are exported; it only
#     calls IAM (ListPolicies) when a function's Policies names an AWS managed
#     policy by name instead of by ARN. Do not do that in template.yaml.
#   - `cfn-lint` is fully local (bundled resource specs), including its SAM
#     transform. `sam validate --lint` is the same cfn-lint, so it is not run twice.
#     It is run a second time on the SAM-translated template (see below).
#   - HTTP(S)_PROXY point at a closed local port, so any attempt to reach AWS (or
#     SAM CLI's weekly PyPI version check) fails at once instead of hanging.
#   - SAM CLI prints "Feature 'normalized_open_api_version' not available in
#     Feature Toggle Config." for every AWS::Serverless::Api: that is SAM CLI's
#     own feature-toggle noise, not a finding about the template.
#
# Usage: scripts/validate-template.sh [template]    (default: template.yaml)
# Env:   INTAKE_TOOLS_VENV  override the venv location
#        PYTHON             python interpreter for the venv (default: python3)
set -euo pipefail

SAM_CLI_VERSION="1.170.0"
CFN_LINT_VERSION="1.58.0"

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

TEMPLATE="${1:-template.yaml}"
VENV="${INTAKE_TOOLS_VENV:-$ROOT/.local/tools-venv}"
PYTHON="${PYTHON:-python3}"
STAMP="$VENV/.intake-tools-stamp"
WANT="aws-sam-cli==$SAM_CLI_VERSION cfn-lint==$CFN_LINT_VERSION"

log() { printf '==> %s\n' "$*" >&2; }

if [[ ! -f "$TEMPLATE" ]]; then
    echo "error: template not found: $TEMPLATE" >&2
    exit 2
fi

if [[ -f "$STAMP" && "$(cat "$STAMP")" == "$WANT" && -x "$VENV/bin/sam" && -x "$VENV/bin/cfn-lint" ]]; then
    log "tools up to date in $VENV ($WANT)"
else
    log "installing $WANT into $VENV"
    start=$SECONDS
    rm -rf "$VENV"
    mkdir -p "$(dirname "$VENV")"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check --upgrade pip
    # cfn-lint is pinned explicitly; it must satisfy aws-sam-cli's own requirement
    # (sam validate --lint imports it), pip's resolver fails loudly if it does not.
    "$VENV/bin/python" -m pip install --quiet --disable-pip-version-check \
        "aws-sam-cli==$SAM_CLI_VERSION" "cfn-lint==$CFN_LINT_VERSION"
    printf '%s' "$WANT" > "$STAMP"
    log "installed in $((SECONDS - start)) s"
fi

# Offline, credential-free environment for both tools.
SCRATCH="$(mktemp -d)"
trap 'rm -rf "$SCRATCH"' EXIT
unset AWS_PROFILE AWS_DEFAULT_PROFILE AWS_SESSION_TOKEN AWS_SECURITY_TOKEN AWS_ENDPOINT_URL
export AWS_ACCESS_KEY_ID="AKIAIOSFODNN7EXAMPLE"           # dummy, never sent anywhere
export AWS_SECRET_ACCESS_KEY="wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
export AWS_REGION="us-east-1" AWS_DEFAULT_REGION="us-east-1"
export AWS_CONFIG_FILE="$SCRATCH/aws-config"              # ignore ~/.aws
export AWS_SHARED_CREDENTIALS_FILE="$SCRATCH/aws-credentials"
export AWS_EC2_METADATA_DISABLED="true"                   # no IMDS probing
export SAM_CLI_TELEMETRY="0"
# SAM CLI's state dir (normally ~/.aws-sam): a fresh one that says the version
# check just happened, so no PyPI request is attempted.
export __SAM_CLI_APP_DIR="$SCRATCH/sam-app-dir"
mkdir -p "$__SAM_CLI_APP_DIR"
printf '{"telemetryEnabled": false, "lastVersionCheck": %s}\n' "$(date +%s)" > "$__SAM_CLI_APP_DIR/metadata.json"
export HTTPS_PROXY="http://127.0.0.1:9" HTTP_PROXY="http://127.0.0.1:9"
export https_proxy="$HTTPS_PROXY" http_proxy="$HTTP_PROXY"
unset NO_PROXY no_proxy
: > "$AWS_CONFIG_FILE"
: > "$AWS_SHARED_CREDENTIALS_FILE"

log "sam validate --template $TEMPLATE --region us-east-1"
"$VENV/bin/sam" validate --template "$TEMPLATE" --region us-east-1

# --include-checks I: also the informational rules (e.g. explicit DeletionPolicy).
log "cfn-lint $TEMPLATE"
"$VENV/bin/cfn-lint" --include-checks I --format parseable -- "$TEMPLATE"

# cfn-lint does not apply its IAM rules (e.g. W3037, unknown actions) to the
# resources SAM generates, so the functions' hand-written policies would go
# unchecked. Translate SAM -> plain CloudFormation locally and lint that too.
log "cfn-lint <SAM-translated $TEMPLATE>"
"$VENV/bin/python" - "$TEMPLATE" "$SCRATCH/translated.json" <<'PY'
import json, logging, sys
logging.disable(logging.WARNING)  # the translator's feature-toggle noise
from samtranslator.translator.transform import transform
from samtranslator.yaml_helper import yaml_parse

src, dst = sys.argv[1], sys.argv[2]
with open(src, encoding="utf-8") as f:
    template = yaml_parse(f.read())
# Local CodeUri (what `sam package` would upload) -> a placeholder S3 URI.
for resource in template.get("Resources", {}).values():
    if resource.get("Type") == "AWS::Serverless::Function":
        resource.setdefault("Properties", {})["CodeUri"] = "s3://placeholder-bucket/code.zip"

class NoManagedPolicyLookup:
    def load(self):
        sys.exit("error: a managed policy is referenced by name; use its ARN (the lookup needs IAM)")

with open(dst, "w", encoding="utf-8") as f:
    json.dump(transform(template, {}, NoManagedPolicyLookup()), f, indent=1)
PY
# Errors and warnings only: SAM's own generated ARNs trip informational I3042.
"$VENV/bin/cfn-lint" --format parseable -- "$SCRATCH/translated.json"

log "template OK"
