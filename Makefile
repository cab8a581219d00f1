# Two entry points, both self-contained on a fresh machine with Python 3.11+:
#   make demo   set up .venv and summarise the bundled sample talk (offline, SQLite, bundled whisper)
#   make test   set up .venv with the test tools and run the whole suite
PYTHON ?= python3
VENV   ?= .venv
SAMPLE ?= tests/fixtures/media/lighthouses.opus

.PHONY: demo test lint setup setup-test bench bench-acks bench-answers clean

$(VENV)/.installed: pyproject.toml
	@$(PYTHON) -c 'import sys; sys.exit(sys.version_info < (3, 11) and "recap needs Python 3.11 or newer")'
	$(PYTHON) -m venv $(VENV)
	$(VENV)/bin/python -m pip install --quiet --upgrade pip
	$(VENV)/bin/python -m pip install --quiet -e '.[test]'
	@touch $@

setup: $(VENV)/.installed

demo: setup
	$(VENV)/bin/recap summarize $(SAMPLE)

test: setup lint
	$(VENV)/bin/python -m pytest -q

# The linter, the formatter and the type checker hold like tests: CI runs them through `make test`.
lint: setup
	$(VENV)/bin/ruff check .
	$(VENV)/bin/ruff format --check .
	$(VENV)/bin/mypy

bench: setup
	$(VENV)/bin/python bench/run.py
	$(VENV)/bin/python bench/acks.py
	$(VENV)/bin/python bench/answers.py

# Offline answers: warm/cold time on a 60-minute transcript vs BM25 alone, and quality on the question sets (~2 minutes).
bench-answers: setup
	$(VENV)/bin/python bench/answers.py

# Acknowledgement latency of `recap slack` under loopback load (about 2.5 minutes; PostgreSQL on 127.0.0.1:5432).
bench-acks: setup
	$(VENV)/bin/python bench/acks.py

clean:
	rm -rf $(VENV) .pytest_cache bench/out
