# Entry points named in the README. Everything installs what it needs on first use.
STACK := python3 deploy/local/stack.py
# The environment `stack.py` syncs; called directly because a fresh shell may not find `uv` yet.
PY := .venv/bin/python

.PHONY: up down status logs infra deps test test-unit lint schemas chart bench

up:            ## the whole system locally: infrastructure, simulators, services, demo data
	$(STACK) up

down:          ## stop everything the stack started
	$(STACK) down

status:
	$(STACK) status

logs:          ## make logs NAME=booking
	$(STACK) logs $(NAME)

infra:         ## Kafka, PostgreSQL, Redis and the SMTP sink only
	$(STACK) infra

deps:          ## the Python environment only
	$(STACK) deps

test: up       ## every test layer (unit, integration, browser e2e) against the running stack
	$(PY) -m pytest $(PYTEST_ARGS)

test-unit: deps
	$(PY) -m pytest tests/unit $(PYTEST_ARGS)

lint: deps
	$(PY) -m ruff check . && $(PY) -m ruff format --check . && $(PY) -m mypy libs services

schemas: deps  ## re-export the event JSON Schemas and AsyncAPI after changing libs/contracts
	$(PY) -m psy_contracts.schema_export libs/contracts/schemas
	$(PY) docs/asyncapi/generate.py

chart: deps    ## render the Helm chart and validate every manifest offline
	$(PY) deploy/helm/validate.py

bench: up      ## performance next to same-run baselines, written to bench/RESULTS.md
	$(PY) -m bench
