# The two commands of the README: `make demo` (the main job) and `make test` (the whole suite).
# Both set everything up on a fresh machine: a virtual environment in .venv with the package installed.

VENV ?= .venv
PYTHON ?= python3
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: demo test bench soak mutants calibrate-library clean browser
LIBRARY_FITS := post-drone-assault borno-drone-raid niamey-airbase-raid tongo-tongo-patrol-ambush \
	tessalit-fpv-helicopter

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[test]'
	touch $(STAMP)

# The whole mission on the bundled record, written as one page: reports/mission/index.html.
demo: $(STAMP)
	$(BIN)/sahelsim mission

test: $(STAMP) browser
	$(BIN)/python -m pytest

# The page tests load the HTML reports in a real headless Chromium. As root (CI) it is installed from
# the distribution when missing; elsewhere those tests skip and say why.
browser:
	@if ! command -v chromium >/dev/null && ! command -v chromium-browser >/dev/null \
	    && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
	  echo "installing Chromium for the page tests (apt-get)"; \
	  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

bench: $(STAMP)
	$(BIN)/python -m pip install --quiet -e '.[test,bench]'
	$(BIN)/python benchmarks/run_all.py

# The fuzzers at soak strength, then kill -9 and Ctrl-C at random moments of real ingests and
# simulation runs; writes its figures into docs/reliability.md and fails on any failure (minutes).
soak: $(STAMP)
	$(BIN)/python soak/reliability_soak.py

# Domain mutation testing of the simulator: each mechanism removed, reversed or doubled must fail a
# test (mutants/domain.toml); writes the score and every mutant into docs/validation.md (minutes).
mutants: $(STAMP)
	$(BIN)/python mutants/run.py

# Refit the bundled scenarios to the table of documented outcomes (seed 0, 20,000 simulations each)
# and write each fit into its library file; the library's [calibration] tables come from this.
calibrate-library: $(STAMP)
	for name in $(LIBRARY_FITS); do \
	  $(BIN)/sahelsim calibrate $$name --out src/sahelsim/sim/library/$$name.toml || exit 1; \
	done

clean:
	rm -rf $(VENV) reports runs .pytest_cache
