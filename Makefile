# Entry points: `make dev` (local server on DynamoDB Local) and `make test` (everything CI checks).
.PHONY: help dev test race bench bench-purge fuzz fuzz-api package smoke-arm64 sam-build deps fmt lint

help:
	@echo "make dev    run the local dev server (tenantry-dev) on DynamoDB Local, data in .tenantry/"
	@echo "make test   fmt check, clippy, all tests against DynamoDB Local, schemathesis, scim2-tester, the client generators, the console in chromium (Playwright, axe), sam validate --lint, cfn-lint and checkov"
	@echo "make race   the race harness, long mode: 10,000 operations (ARGS=\"--duration 300 --faults --seed 7\")"
	@echo "make bench  cold start vs Python, warm latency vs the bare calls, scale, purge, sizes, lifecycle events, the memory sweep (root: CPU quotas per memory size; infra/memory-sizes.tsv): BENCHMARKS.md (ARGS=\"--cold 30 --warm 1000\", ARGS=\"--only sweep\")"
	@echo "make bench-purge  purge throughput vs raw conditional DeleteItem, 100,000 users (ARGS=\"--users 5000 --concurrency 32\")"
	@echo "make fuzz       the property tests (usernames, request parsing) with 20,000 cases each (PROPTEST_CASES=...)"
	@echo "make fuzz-api   schemathesis, infra/openapi.yaml against the dev server, 500 examples per operation (ARGS=\"--seed 7 --max-time 600\")"
	@echo "make package    every function built for Lambda arm64 (cargo lambda), zipped, with a size table"
	@echo "make smoke-arm64  every zip of make package run under qemu on its sample event, with the template's environment"
	@echo "make sam-build  sam build of template.yaml (arm64, offline, no Docker) into .aws-sam/build"
	@echo "make deps   install Java, Node, DynamoDB Local, chromium, the Python venvs (.venv, .venv-checkov, .venv-clients, .venv-console) and the npm tools"
	@echo "make fmt    format the Rust code"
	@echo "make lint   clippy with warnings as errors"

dev:
	infra/scripts/dev.sh

test:
	infra/scripts/test.sh

race:
	infra/scripts/race.sh $(ARGS)

bench:
	infra/scripts/bench.sh $(ARGS)

bench-purge:
	infra/scripts/bench-purge.sh $(ARGS)

fuzz:
	infra/scripts/fuzz.sh $(ARGS)

fuzz-api:
	infra/scripts/fuzz-api.sh --max-examples 500 $(ARGS)

package:
	infra/scripts/package.sh

smoke-arm64:
	infra/scripts/smoke-arm64.sh

sam-build:
	infra/scripts/sam-build.sh $(ARGS)

deps:
	infra/scripts/install-deps.sh --python

fmt:
	cargo fmt --all

lint:
	cargo clippy --workspace --all-targets -- -D warnings
