# invoice-intake developer entry points (GNU make). `make` alone lists them.
SHELL := bash
.SHELLFLAGS := -euo pipefail -c
.DEFAULT_GOAL := help
ROOT := $(abspath $(dir $(lastword $(MAKEFILE_LIST))))

.PHONY: help setup emulators-up emulators-down emulators-status dev lint test bench chaos differential catalogue \
  localstack-setup localstack-up localstack-down localstack-status test-localstack localstack-check \
  package check-function-deps cold-start schemathesis generated-client

help: ## list the targets
	@echo "invoice-intake targets:"
	@grep -E '^[a-zA-Z_-]+:.*## ' $(lastword $(MAKEFILE_LIST)) | \
	  awk 'BEGIN {FS = ":.*## "} {printf "  make %-18s %s\n", $$1, $$2}'

setup: ## install the local emulators (moto, DynamoDB Local) into .local/ (+ LocalStack if INTAKE_BACKEND=localstack)
	@"$(ROOT)/scripts/emulators.sh" install
	@if [[ "$${INTAKE_BACKEND:-emulators}" == localstack ]]; then "$(ROOT)/scripts/localstack.sh" install; fi

emulators-up: setup ## start moto (S3, SQS) and DynamoDB Local; writes .local/emulators.env
	@"$(ROOT)/scripts/emulators.sh" start

emulators-down: ## stop the emulators
	@"$(ROOT)/scripts/emulators.sh" stop

emulators-status: ## show whether the emulators run
	@"$(ROOT)/scripts/emulators.sh" status

dev: setup ## emulators up + the local runner in the foreground (Ctrl-C stops both); INTAKE_BACKEND=localstack: on LocalStack
	@"$(ROOT)/scripts/dev.sh"

localstack-setup: ## install LocalStack 4.4.0 on the host (no Docker) into .local/localstack-venv
	@"$(ROOT)/scripts/localstack.sh" install

localstack-up: localstack-setup ## start LocalStack on 127.0.0.1:4566 (INTAKE_LOCALSTACK_PORT), wait for its init hook
	@"$(ROOT)/scripts/localstack.sh" start

localstack-down: ## stop LocalStack (by PID)
	@"$(ROOT)/scripts/localstack.sh" stop

localstack-status: ## show whether LocalStack runs and is ready
	@"$(ROOT)/scripts/localstack.sh" status

test-localstack: localstack-setup ## the e2e tests built (cargo test --workspace --no-run), LocalStack up, run against it, down; prints the times
	@"$(ROOT)/scripts/test-localstack.sh"

localstack-check: localstack-setup ## check the host LocalStack: install, start, hook resources, loopback only, docker-compose.yml, stop by PID
	@bash "$(ROOT)/tests/localstack_host.sh"

lint: ## cargo fmt --check and clippy -D warnings
	cd "$(ROOT)" && cargo fmt --all -- --check
	cd "$(ROOT)" && cargo clippy --workspace --all-targets -- -D warnings

test: setup localstack-setup lint ## lint, emulators up, cargo test, the e2e suite on LocalStack too, differential, chaos, template, arm64 build
	@"$(ROOT)/scripts/package.sh" install
	@"$(ROOT)/scripts/test.sh"

package: ## cargo-lambda into .local/, every function built for provided.al2023 arm64 as sam build does, sizes (JOBS=1 for -j 1)
	@"$(ROOT)/scripts/package.sh" install
	@"$(ROOT)/scripts/package.sh" build

check-function-deps: ## fails if a function that reads no documents links the engine (cargo tree)
	@"$(ROOT)/scripts/check-function-deps.sh"

cold-start: ## each function's init time (start to its first /next poll) against a local runtime API, emulators up
	@"$(ROOT)/scripts/cold-start.sh"

schemathesis: setup ## the generated client's six steps, then schemathesis (all checks and phases, SCHEMATHESIS_MAX_TIME s) on the local stack
	@"$(ROOT)/scripts/api-conformance.sh" schemathesis

generated-client: setup ## a Python client generated from openapi.yaml runs the six steps on the local stack
	@"$(ROOT)/scripts/api-conformance.sh" client

bench: ## run scripts/bench.sh
	@bash "$(ROOT)/scripts/bench.sh"

.PHONY: bench-submit
bench-submit: ## time `intake submit --wait` for 100 and 2000 corpus files (scripts/bench.sh submit)
	@bash "$(ROOT)/scripts/bench.sh" submit

chaos: setup ## fault injection: proxy faults + runner SIGKILL, invariants checked (scripts/chaos.sh)
	@bash "$(ROOT)/scripts/chaos.sh"

differential: ## engine vs the official CEN XSLTs on N seeded mutants: make differential N=10000 SEED=1
	@bash "$(ROOT)/scripts/differential.sh" run $(or $(N),2000) $(or $(SEED),1)

catalogue: ## regenerate the rule catalogue (ids, flags, official messages) from ../shared/artefacts
	@python3 "$(ROOT)/tools/catalogue/generate.py"

.PHONY: bench-validation
bench-validation: ## official XSLT (Saxon) vs the engine: time and peak RSS on corpus + N mutants: make bench-validation N=500
	@bash "$(ROOT)/scripts/differential.sh" bench $(or $(N),500) $(or $(SEED),1)
