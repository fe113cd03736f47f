# herald: the two quick-start commands are `make demo` and `make test`.
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed-stamp
CODE   := codegen publisher
STACK  := $(BIN)/python dev/stack/stack.py
# `make test` runs its own stack in .stack/test, so a `make stack-up` stack keeps running.
TEST_STACK := --state .stack/test
PYTEST_ARGS ?=

# Pinned tools that are not Python packages, built into a git-ignored folder on first use.
TOOLS := .tools
ACTIONLINT_VERSION := v1.7.12
ACTIONLINT := $(TOOLS)/bin/actionlint

.PHONY: install demo test lint type unit ci-lint asyncapi-validator stack-up stack-down stack-status codegen golden bench clean

$(STAMP): pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(0 if sys.version_info >= (3, 11) else "herald needs Python 3.11+")'
	@echo "make: installing herald and its dev tools into $(VENV) (about 90 s the first time)"
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install -q --upgrade pip
	@echo "make: pip install -e '.[dev]': confluent-kafka, protoc (grpcio-tools), ruff, mypy, pytest, ..."
	$(BIN)/python -m pip install -q -e '.[dev]'
	@touch $(STAMP)
	@echo "make: $(VENV) is ready; '. $(VENV)/bin/activate' puts herald on PATH"

install: $(STAMP)

demo: install
	$(BIN)/herald demo

lint: install
	$(BIN)/ruff check $(CODE) tests dev benchmarks
	$(BIN)/ruff format --check $(CODE) tests dev benchmarks

type: install
	$(BIN)/mypy --strict $(CODE)

# The official AsyncAPI parser (pinned in dev/asyncapi/package-lock.json) for the tests that
# validate `herald asyncapi` output; `herald asyncapi` itself needs no Node.
ASYNCAPI_STAMP := dev/asyncapi/node_modules/.installed-stamp
$(ASYNCAPI_STAMP): dev/asyncapi/package.json dev/asyncapi/package-lock.json
	npm ci --prefix dev/asyncapi --no-audit --no-fund --silent
	@touch $(ASYNCAPI_STAMP)

asyncapi-validator: $(ASYNCAPI_STAMP)

unit: install asyncapi-validator
	$(BIN)/pytest -q tests/unit $(PYTEST_ARGS)

$(ACTIONLINT):
	@echo "make: building actionlint $(ACTIONLINT_VERSION) with go install into $(TOOLS)/bin"
	GOBIN=$(abspath $(TOOLS)/bin) go install github.com/rhysd/actionlint/cmd/actionlint@$(ACTIONLINT_VERSION)

# The shipped GitHub Actions workflow (what `herald init` writes) must pass actionlint.
ci-lint: $(ACTIONLINT)
	$(ACTIONLINT) codegen/scaffold/github-actions.yml

# Lint and types first (cheap), then every test with the real stack, which is always stopped.
test: install lint type ci-lint asyncapi-validator
	$(STACK) $(TEST_STACK) run -- $(BIN)/pytest -q -p no:cacheprovider --durations=15 tests $(PYTEST_ARGS)

# BROKERS=3: a cluster of three KRaft nodes; REGISTRY_AUTH=1: the registry requires basic auth.
stack-up: install
	$(STACK) up $(if $(BROKERS),--brokers $(BROKERS)) $(if $(filter 1,$(REGISTRY_AUTH)),--registry-auth)

stack-down: install
	$(STACK) down

stack-status: install
	$(STACK) status

# Side-by-side publish benchmarks on a real stack of their own (.stack/bench), or on the user's
# cluster when KAFKA_BOOTSTRAP_SERVERS + SCHEMA_REGISTRY_URL are set. BENCH_EVENTS=N scales it.
BENCH_STAMP := $(VENV)/.bench-stamp
$(BENCH_STAMP): $(STAMP) pyproject.toml
	$(BIN)/python -m pip install -q -e '.[dev,bench]'
	@touch $(BENCH_STAMP)

bench: $(BENCH_STAMP)
	$(STACK) --state .stack/bench run -- $(BIN)/python -m benchmarks.report

# Typed event classes from schemas/ into the configured package (herald.toml [codegen] out).
codegen: install
	$(BIN)/herald codegen

# Rewrite tests/golden/expected from tests/golden/schemas after an intended generator change.
golden: install
	$(BIN)/python -m tests.golden.regenerate

clean:
	rm -rf $(VENV) build .stack .tools .mypy_cache .ruff_cache .pytest_cache
