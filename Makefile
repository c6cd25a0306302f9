# landsat-ops: one entry point for everything. Each target installs first if needed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
export AIRFLOW_HOME := $(CURDIR)/.airflow
export AIRFLOW_CONFIG := $(CURDIR)/airflow.cfg
export UV_COMPILE_BYTECODE := 1
export UV_NO_PROGRESS := 1

.PHONY: install demo test bench lint airflow clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements/dev.lock requirements/bootstrap.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/bootstrap.txt
	$(UV) pip install --python $(BIN)/python --quiet -r requirements/dev.lock
	$(UV) pip install --python $(BIN)/python --quiet --no-deps -e .
	touch $@

demo: install
	$(BIN)/python -m landsat_ops.demo

test: install
	$(BIN)/python -m pytest -q tests

lint: install
	$(BIN)/ruff check landsat_ops plugins dags tests bench

bench: install
	$(BIN)/python bench/bench_render.py

clean:
	rm -rf $(VENV) .airflow build *.egg-info
