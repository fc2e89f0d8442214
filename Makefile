# The two commands in the README: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: run test test-postgres lint bench-web lock

# Installed at the tested versions in constraints.txt (the lock file).
$(BIN)/portfolio: pyproject.toml constraints.txt
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet -c constraints.txt -e ".[test]"
	touch $@

# Refresh the lock file: the newest versions pyproject.toml allows, in a fresh virtualenv.
# Then run `make test` and `make test-postgres` before committing constraints.txt.
lock:
	rm -rf .lock-venv
	$(PYTHON) -m venv .lock-venv
	.lock-venv/bin/pip install --quiet --upgrade pip
	.lock-venv/bin/pip install --quiet -e ".[test]"
	head -4 constraints.txt > constraints.new
	.lock-venv/bin/pip freeze --exclude-editable >> constraints.new
	mv constraints.new constraints.txt
	rm -rf .lock-venv

# Fresh clone -> migrated SQLite database with rubrics, content and demo users -> serving.
run: $(BIN)/portfolio
	$(BIN)/portfolio demo
	$(BIN)/portfolio run --host 127.0.0.1 --port 5000

lint: $(BIN)/portfolio
	$(BIN)/ruff check portfolio tests migrations bench
	$(BIN)/ruff format --check portfolio tests migrations bench
	$(BIN)/mypy
	$(BIN)/portfolio check

# Every check and every test, on the embedded SQLite database.
test: lint
	$(BIN)/python -m pytest -n auto

# The same suite against PostgreSQL (CI runs both).
test-postgres: $(BIN)/portfolio
	PORTFOLIO_TEST_DATABASE_URL=$${PORTFOLIO_TEST_DATABASE_URL:-postgresql://postgres@127.0.0.1:5432/test} \
		$(BIN)/python -m pytest -n auto

# The web benchmark and the cohort CSV stream, both sizes, both databases (README: Benchmarks);
# builds the generated centres the first time. Appends to bench/results.md.
bench-web: $(BIN)/portfolio
	$(BIN)/python -m bench.web --size small --size large --database sqlite --database postgresql
	$(BIN)/python -m bench.csv_stream --size small --size large --database sqlite --database postgresql
