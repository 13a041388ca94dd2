# Entry points named in the README. Everything installs what it needs on first use.
STACK := python3 deploy/local/stack.py

.PHONY: up down status logs infra test test-unit lint schemas chart bench

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

test: up       ## every test layer (unit, integration, browser e2e) against the running stack
	uv run pytest $(PYTEST_ARGS)

test-unit:
	uv run pytest tests/unit $(PYTEST_ARGS)

lint:
	uv run ruff check . && uv run ruff format --check . && uv run mypy libs services

schemas:       ## re-export the event JSON Schemas and AsyncAPI after changing libs/contracts
	uv run python -m psy_contracts.schema_export libs/contracts/schemas
	uv run python docs/asyncapi/generate.py

chart:         ## render the Helm chart and validate every manifest offline
	uv run python deploy/helm/validate.py

bench:
	uv run python -m bench
