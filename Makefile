# landsat-ops: one entry point for everything. Each target installs first if needed.
SHELL := /bin/bash
PYTHON ?= python3
VENV := $(CURDIR)/.venv
BIN := $(VENV)/bin
UV := $(BIN)/uv
export AIRFLOW_HOME := $(CURDIR)/.airflow
export AIRFLOW_CONFIG := $(CURDIR)/airflow.cfg
export LANDSAT_OPS_ROOT := $(CURDIR)
export UV_COMPILE_BYTECODE := 1
export UV_NO_PROGRESS := 1

.PHONY: install demo report test test-fast test-cpu test-kind bench lint airflow airflow-init cluster cluster-stop \
	cluster-status clean bench-scale faults

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

# The archive through time on the sample season: first the scenes DAG for every overpass of the
# season not published yet (python -m landsat_demo --season), then one `airflow dags test` run
# each of landsat_ndvi_timeseries (NDVI at the points, snow/ice and water extent, the papermill
# report: demo-output/bucket/published/analytics/<area>/, docs/analytics.md, docs/extent.md),
# landsat_composites (the 2024 summer composite and the area's mosaic on EPSG:3413:
# published/composites/, docs/composites.md) and landsat_timelapses (published/timelapse/,
# docs/timelapse.md).
report: install airflow-init
	$(BIN)/python -m landsat_demo --season
	$(call dag_test,landsat_ndvi_timeseries,{},ndvi-timeseries)
	$(call dag_test,landsat_composites,{"period": "2024-summer"},composites)
	$(call dag_test,landsat_timelapses,{},timelapses)
	@ls -1 demo-output/bucket/published/analytics/*/* demo-output/bucket/published/composites/index.html \
	  demo-output/bucket/published/timelapse/*/*/index.html
	@echo "gallery: demo-output/bucket/index.html (open it in a browser)"

# One `airflow dags test` run of DAG $(1) with conf $(2), its log in demo-output/$(3).log; fails
# with the log's tail unless the run succeeded.
define dag_test
	$(BIN)/airflow dags test $(1) -c '$(2)' > demo-output/$(3).log 2>&1 || \
	  { tail -40 demo-output/$(3).log; exit 1; }
	@grep -q "DagRun Finished.*state=success" demo-output/$(3).log || \
	  { echo "the $(1) run did not succeed; see demo-output/$(3).log"; exit 1; }
endef

# Airflow's home in .airflow/ (git-ignored): per-machine secrets (Fernet key, JWT secret,
# the UI password) made once, the SQLite database migrated, the pools of dags/config/pools.json.
airflow-init: install
	mkdir -p $(AIRFLOW_HOME)
	$(BIN)/python -m cluster secrets
	$(BIN)/airflow db migrate > $(AIRFLOW_HOME)/db-migrate.log 2>&1 || { tail -20 $(AIRFLOW_HOME)/db-migrate.log; exit 1; }
	$(BIN)/airflow pools import dags/config/pools.json 2>&1 | grep -v -i warning | tail -1

# Airflow in the foreground (scheduler, dag processor, triggerer, API server + UI) with the
# landsat DAGs, on PostgreSQL (the pip-packaged server of the cluster extra, data in
# .airflow/cluster/postgres, 127.0.0.1:54329): SQLite cannot take concurrent backfill creation.
# Prints the real address (AIRFLOW__API__PORT or [api] port of airflow.cfg) and the login.
# A second start on this home (or with its ports taken) is refused in one line before anything
# starts. Ctrl-C, SIGTERM or `make cluster-stop` stops what it started, PostgreSQL last.
airflow: install
	@$(BIN)/python -m cluster check-airflow
	@$(MAKE) --no-print-directory airflow-init
	$(BIN)/python -m cluster standalone

# The distributed engine on this machine: PostgreSQL, Redis, a moto S3 bucket, the api-server
# (127.0.0.1:8080), scheduler, dag-processor, triggerer and two Celery workers
# (CeleryExecutor; renders on the `render` queue). Returns once healthy; make cluster-stop.
cluster: install
	@$(BIN)/python -m cluster check
	@$(MAKE) --no-print-directory airflow-init
	@test -s demo-output/catalog/catalog.json || $(BIN)/python -c 'import landsat_demo.__main__ as d; \
	  from landsat_demo.synthetic import make_catalog; \
	  make_catalog("demo-output/catalog", start=d.START, end=d.END, width=d.SIZE, height=d.SIZE)'
	$(BIN)/python -m cluster up

cluster-stop: install
	$(BIN)/python -m cluster down

cluster-status: install
	$(BIN)/python -m cluster status

# The tests run in pytest-xdist workers (PYTEST_WORKERS=0 runs them in this process), a file per
# worker at a time (--dist loadfile: module and session fixtures, the cluster above all, are set
# up once per worker at most) in the order of tests/conftest.py (the slow kinds first; xdist
# would sort files by their number of tests), each test within its time limit (pyproject.toml).
# `make test` has three workers more than cores: many tests wait on purpose (stalled endpoints,
# default timeouts, the cluster's scheduler), and the others keep the cores busy meanwhile (on
# 2 cores, 2026-12-08: 8 min 44 s with 3 workers, 7 min 21 s with 4, 7 min 3 s with 5).
# `make test-fast` waits on nothing: one worker per core plus one (each worker's collection
# costs ~7 CPU-s).
NPROC := $(shell nproc 2>/dev/null || echo 1)
PYTEST_WORKERS ?= $(shell echo $$(( $(NPROC) + 3 )))
FAST_WORKERS ?= $(shell echo $$(( $(NPROC) + 1 )))
PYTEST_ARGS := -q --dist loadfile --no-loadscope-reorder
PYTEST := $(BIN)/python -m pytest $(PYTEST_ARGS) -n $(PYTEST_WORKERS)

# Every test. pytest exits 5 when it collected nothing: that fails here like any other error.
test: install
	$(PYTEST) tests

# The unit tests only (no Airflow, no cluster, no fault injection, no browser), without the
# real-data ones (../shared; `make test` runs them): the edit-test loop.
test-fast: install
	$(BIN)/python -m pytest $(PYTEST_ARGS) -n $(FAST_WORKERS) -m "unit and not data" tests

# Every test, with the CPU seconds each one cost (tests/support/cputime.py): the totals per kind
# and the costliest files, to find where the suite's time goes.
test-cpu: install
	rm -f .pytest-cpu.jsonl
	LANDSAT_TESTS_CPU=$(CURDIR)/.pytest-cpu.jsonl $(PYTEST) tests; status=$$?; \
	  $(BIN)/python -m tests.support.cputime .pytest-cpu.jsonl; exit $$status

# One kind of test (pyproject.toml markers): make test-kind KIND=unit|dag|cluster|faults|browser
KIND ?= unit
test-kind: install
	$(PYTEST) -m "$(KIND)" tests

LINTED := landsat_ops landsat_pipeline landsat_demo plugins dags tests bench cluster
lint: install
	$(BIN)/ruff check $(LINTED)
	$(BIN)/ruff format --check $(LINTED)

bench: install
	$(BIN)/python bench/bench_render.py
	$(BIN)/python bench/bench_composite.py

# The fault-injection suite (docs/faults.md): S3 faults through a proxy in front of moto, real
# landsat-ops processes killed, racing, out of scratch space. Prints the counts: faults
# injected, runs that lost or mixed data (must be 0), leftovers after the next run (must be 0).
faults: install
	$(PYTEST) -p no:cacheprovider tests/faults

# A region of 20 path/rows backfilled through the REST API on its own `make cluster` (free
# ports, temporary home, stopped at the end); results to stdout and .bench/scale.json.
# BENCH_SCALE_ARGS overrides the subset (python bench/bench_scale.py --help).
BENCH_SCALE_ARGS ?=
bench-scale: install
	$(BIN)/python bench/bench_scale.py $(BENCH_SCALE_ARGS)

clean:
	-test -d .airflow/cluster && $(BIN)/python -m cluster purge
	rm -rf $(VENV) .airflow build *.egg-info
