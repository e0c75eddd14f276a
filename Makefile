# The three things everyone runs.
.PHONY: setup test lint
setup:
	python3 -m venv .venv && .venv/bin/pip install -e ".[test]"
test:
	.venv/bin/python -m pytest -q
lint:
	.venv/bin/ruff check . && .venv/bin/ruff format --check graph360 tests
