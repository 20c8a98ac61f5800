# The two commands of the README: `make demo` and `make test`.
# Both create .venv when it is missing and (re)install the project only when pyproject.toml (or
# the C source it compiles) changed.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
DEMO_CONFIG := configs/example.yaml

.PHONY: demo test test-chaos lint docs bench-ingest bench-metrics bench-drift bench-check bench-concept sample-logs clean

$(BIN)/python:
	$(PYTHON) -c 'import sys; assert sys.version_info >= (3, 11), "mlmon needs Python 3.11+"'
	$(PYTHON) -m venv $(VENV)

$(STAMP): pyproject.toml mlmon/_speedups/_accumulate.c | $(BIN)/python
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The house rules first (make lint), then the suite, whose tests/test_layering.py checks the
# direction of mlmon's imports.
test: lint
	$(BIN)/python -m pytest -q

# Random SIGKILLs against real ingests (minutes; MLMON_CHAOS_RUNS rounds, default 50).
test-chaos: $(STAMP)
	$(BIN)/python -m pytest -q -s -m chaos tests/chaos

LINT_PATHS := mlmon tests bench sample_logs

lint: $(STAMP)
	$(BIN)/ruff check $(LINT_PATHS)
	$(BIN)/ruff format --check $(LINT_PATHS)
	$(BIN)/mypy --strict mlmon tests

# Rewrite docs/cli.md, the command-line reference, from `mlmon --help` (tests/docs/test_docs.py
# fails when it is stale).
docs: $(STAMP)
	$(BIN)/python -m mlmon.cli.docgen docs/cli.md

# The whole chain on the bundled sample logs. Ingesting the malformed file quarantines rows and
# the drifted days breach the metric thresholds and the shifted inputs drift: findings (exit 1)
# that --exit-zero turns into 0 so the demo goes on; the output says so.
demo: $(STAMP)
	rm -rf .demo
	mkdir -p .demo/textfile
	$(BIN)/mlmon -c $(DEMO_CONFIG) ingest sample_logs/predictions/*
	$(BIN)/mlmon -c $(DEMO_CONFIG) ingest sample_logs/malformed/* --exit-zero
	$(BIN)/mlmon -c $(DEMO_CONFIG) ingest --labels sample_logs/labels/*
	@echo "--- re-ingesting the same files is a no-op:"
	$(BIN)/mlmon -c $(DEMO_CONFIG) ingest sample_logs/predictions/*
	@echo "--- quality per day: the drift from 2026-10-22 breaches the thresholds (exit 1):"
	$(BIN)/mlmon -c $(DEMO_CONFIG) metrics --since 2026-10-14 --until 2026-10-28 --fail-on any --exit-zero
	@echo "--- the newest days have no labels yet: quality estimated from the scores (CBPE, marked ~);"
	@echo "    a campaign brings borderline applicants from 2026-10-27 and the estimates breach (exit 1):"
	$(BIN)/mlmon -c $(DEMO_CONFIG) metrics --since 2026-10-26 --until latest --fail-on any --exit-zero
	@echo "--- data drift before the shift: nothing drifts (exit 0):"
	$(BIN)/mlmon -c $(DEMO_CONFIG) drift --since 2026-10-08 --until 2026-10-10
	@echo "--- data drift after the shift of 2026-10-15: income, loan amount, purpose, region (exit 1);"
	@echo "    the error rate rises too, but as CBPE expects of the shifted population: no concept drift:"
	$(BIN)/mlmon -c $(DEMO_CONFIG) drift --since 2026-10-16 --until 2026-10-18 --exit-zero
	@echo "--- concept drift: DDM and HDDM_A read the labelled errors in time order (an explicit range: fresh"
	@echo "    detectors on its rows; a cron run ending now or at latest continues their saved stream);"
	@echo "    the relation between inputs and default changes on 2026-10-22 and HDDM_A finds it (exit 1):"
	$(BIN)/mlmon -c $(DEMO_CONFIG) drift --since 2026-10-18 --until 2026-10-25 --exit-zero
	@echo "--- a first model from the first two weeks (no production yet: the schedule trigger fires):"
	$(BIN)/mlmon -c $(DEMO_CONFIG) retrain --until 2026-10-15
	@echo "--- it reaches promote.threshold, so it goes to production:"
	$(BIN)/mlmon -c $(DEMO_CONFIG) promote --until 2026-10-22
	@echo "--- a week later the inputs have drifted: the drift trigger fires and a candidate is trained:"
	$(BIN)/mlmon -c $(DEMO_CONFIG) retrain --until 2026-10-22
	@echo "--- the gate compares candidate and production on the same newer labelled rows:"
	$(BIN)/mlmon -c $(DEMO_CONFIG) promote --until 2026-10-29
	@echo "--- and a bad promotion is undone with one command:"
	$(BIN)/mlmon -c $(DEMO_CONFIG) rollback --reason "demo: undo the last promotion"
	$(BIN)/mlmon -c $(DEMO_CONFIG) registry list
	@echo "--- health checks: the days before the injected silent failures are clean (exit 0):"
	$(BIN)/mlmon -c $(DEMO_CONFIG) check --since 2026-10-22 --until 2026-10-26
	@echo "--- and each silent failure of sample_logs/README.md is caught: the outage, the zeros, the unit"
	@echo "    change, the volume drop, the new category, the stuck score (exit 1):"
	$(BIN)/mlmon -c $(DEMO_CONFIG) check --since 2026-10-26 --until 2026-10-31 --exit-zero
	@echo "--- alerts: what the sinks received (configs/example.yaml: alerts):"
	@echo "    the Prometheus textfile .demo/textfile/mlmon_loan-default.prom holds"
	@grep -c '^mlmon_' .demo/textfile/mlmon_loan-default.prom | sed 's/^/    samples: /'
	@grep -E '^mlmon_(dataset_drift_detected|concept_drift_detected|threshold_breached|production_version_info)' .demo/textfile/mlmon_loan-default.prom | sed 's/^/    /'
	@echo "    and the JSON-lines log .demo/alerts.jsonl got these notifications:"
	@$(BIN)/python -c 'import json, sys; [print("    {status:9} {severity:8} {finding:18} {summary}".format(**json.loads(l))) for l in open(".demo/alerts.jsonl")]'

sample-logs: $(STAMP)
	$(BIN)/python sample_logs/generate.py

bench-ingest: $(STAMP)
	$(BIN)/python bench/ingest.py

bench-metrics: $(STAMP)
	$(BIN)/python bench/metrics.py --setup-evidently --build-store

bench-drift: $(STAMP)
	$(BIN)/python bench/drift.py --setup

# `mlmon check` against one polars scan (issue 16); builds bench/out/check-store the first time.
bench-check: $(STAMP)
	$(BIN)/python bench/check.py

bench-concept: $(STAMP)
	$(BIN)/python bench/concept.py

clean:
	rm -rf .demo .pytest_cache .mypy_cache .ruff_cache
