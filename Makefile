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

.PHONY: install demo report test test-fast bench lint airflow airflow-init clean

install: $(VENV)/.installed

$(VENV)/.installed: requirements/dev.lock requirements/bootstrap.txt pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements/bootstrap.txt
	$(UV) pip install --python $(BIN)/python --quiet -r requirements/dev.lock
	$(UV) pip install --python $(BIN)/python --quiet --no-deps -e .
	touch $@

# The sample catalog (synthetic scenes of 226/010 on real overpass dates), then one DAG run
# of landsat_p226_r010 end to end with `airflow dags test`, into demo-output/bucket.
demo: install airflow-init
	$(BIN)/python -m landsat_demo

# NDVI at the points of interest of every published scene: first the scenes DAG for every
# overpass of the sample season not published yet (python -m landsat_demo --season, so the series has
# more than one acquisition), then one run of the landsat_ndvi_timeseries DAG with `airflow dags
# test`: the table, plots and the papermill report in
# demo-output/bucket/published/analytics/<area>/ (docs/analytics.md).
report: install airflow-init
	$(BIN)/python -m landsat_demo --season
	$(BIN)/airflow dags test landsat_ndvi_timeseries > demo-output/ndvi-timeseries.log 2>&1 || \
	  { tail -40 demo-output/ndvi-timeseries.log; exit 1; }
	@grep -q "DagRun Finished.*state=success" demo-output/ndvi-timeseries.log || \
	  { echo "the run did not succeed; see demo-output/ndvi-timeseries.log"; exit 1; }
	@ls -1 demo-output/bucket/published/analytics/*/*

# Airflow's home in .airflow/ (git-ignored): per-machine secrets (Fernet key, JWT secret,
# the UI password) made once, the SQLite database migrated, the pools of dags/config/pools.json.
airflow-init: install
	mkdir -p $(AIRFLOW_HOME)
	cd $(AIRFLOW_HOME) && umask 077 && \
	  { test -s fernet.key || $(BIN)/python -c 'from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())' > fernet.key; } && \
	  { test -s jwt.secret || $(BIN)/python -c 'import secrets; print(secrets.token_urlsafe(48))' > jwt.secret; } && \
	  { test -s simple_auth_manager_passwords.json.generated || $(BIN)/python -c 'import json, secrets; print(json.dumps({"admin": secrets.token_urlsafe(12)}))' > simple_auth_manager_passwords.json.generated; }
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || { tail -20 $(AIRFLOW_HOME)/db-migrate.log; exit 1; }
	$(BIN)/airflow pools import dags/config/pools.json 2>&1 | grep -v -i warning | tail -1

# Airflow in the foreground (scheduler, dag processor, triggerer, API server + UI) on
# 127.0.0.1:8080 with the landsat DAGs. Stop it with Ctrl-C: the wrapper passes it on to
# `airflow standalone` alone, which stops its components in order (a Ctrl-C sent to all of
# them at once, as a terminal does, leaves Airflow 3.3's executor workers hanging).
FOREGROUND := import signal, subprocess, sys; \
  p = subprocess.Popen(sys.argv[1:], start_new_session=True); \
  [signal.signal(s, lambda *_: p.send_signal(signal.SIGINT)) for s in (signal.SIGINT, signal.SIGTERM)]; \
  sys.exit(p.wait())

airflow: airflow-init
	@echo "Airflow UI: http://127.0.0.1:8080  login: admin  password: $$($(BIN)/python -c 'import json; print(json.load(open("$(AIRFLOW_HOME)/simple_auth_manager_passwords.json.generated"))["admin"])') (in .airflow/simple_auth_manager_passwords.json.generated)"
	@echo "DAGs start paused: unpause landsat_p226_r010 in the UI (or: .venv/bin/airflow dags unpause landsat_p226_r010)."
	PATH=$(BIN):$$PATH $(BIN)/python -c '$(FOREGROUND)' $(BIN)/airflow standalone

# Every test. pytest exits 5 when it collected nothing: that fails here like any other error.
test: install
	$(BIN)/python -m pytest -q tests

# The unit tests only (no Airflow DAG runs, no servers): a minute, for the edit-test loop.
test-fast: install
	$(BIN)/python -m pytest -q -m "not integration" tests

LINTED := landsat_ops landsat_pipeline landsat_demo plugins dags tests bench
lint: install
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

bench: install
	$(BIN)/python bench/bench_render.py

clean:
	rm -rf $(VENV) .airflow build *.egg-info
