# Loconomics: `make run` brings the platform up, `make test` runs every test.
PYTHON ?= python3.11
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
PACKAGES := libs/plumbing services/profiles services/booking services/billing \
	services/governance services/notifications gateway
MANIFESTS := $(foreach p,$(PACKAGES),$(p)/pyproject.toml) requirements-dev.txt constraints.txt

.PHONY: run stop logs status test unit lint install migrate clean bench load

run: install
	$(BIN)/python deploy/local/local_platform.py start

stop:
	@if [ -x $(BIN)/python ]; then $(BIN)/python deploy/local/local_platform.py stop; fi

logs:
	$(BIN)/python deploy/local/local_platform.py logs

status:
	$(BIN)/python deploy/local/local_platform.py status

test: install lint
	deploy/local/test-tools.sh
	deploy/check.sh install
	$(BIN)/pytest -q

unit: install
	$(BIN)/pytest -q -m "not integration and not postgres"

lint: install
	$(BIN)/ruff check .

# Every benchmark, one after the other, each on its own broker node (docs/performance.md).
bench: install
	$(BIN)/python bench/rpc_bench.py --amqp-port 5715
	$(BIN)/python bench/gateway_bench.py --amqp-port 5717
	$(BIN)/python bench/booking_throughput_bench.py --amqp-port 5716
	$(BIN)/python bench/booking_slots_bench.py --amqp-port 5718
	BENCH_AMQP_PORT=5719 $(BIN)/python bench/profiles_search_rpc_bench.py --databases sqlite

# The peak-hour load test (locust, headless, bounded): LOAD_ARGS="--users 50 --run-time 120"
load: install
	$(BIN)/python bench/peak_hour.py $(LOAD_ARGS)

migrate: install
	$(BIN)/python -m loconomics_plumbing.migrate upgrade profiles booking billing governance notifications

install: $(STAMP)

$(STAMP): $(MANIFESTS)
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is needed ($(PYTHON))"; exit 1; }
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/pip install -q --upgrade "pip<26" "setuptools<81" wheel
	$(BIN)/pip install -q -c constraints.txt -r requirements-dev.txt $(foreach p,$(PACKAGES),-e $(p))
	touch $(STAMP)

clean: stop
	rm -rf var
