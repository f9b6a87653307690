# The README's two commands: `make demo` and `make test`. Both set everything up on a
# fresh Debian machine: Debian packages (with apt-get as root, else the exact command
# is printed), then a virtual environment in .venv with the project and its extras.

PYTHON ?= python3
VENV := .venv
VPY := $(VENV)/bin/python
STAMP := $(VENV)/.installed
# libpango/libpangoft2/libharfbuzz-subset0: WeasyPrint's text layout and font subsetting
# (make docs, kiosk-ledger poster). postgresql: the tests start a server of their own
# (tests/pg.py), never the machine's. espeak-ng, vorbis-tools: assets/voice/make_voice.py
# (tests/test_voice.py checks the shipped prompts are what it makes).
DEB_PACKAGES := libzbar0 xvfb xauth libgl1-mesa-dri libmtdev1 fonts-noto-cjk shellcheck systemd caddy git \
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 postgresql chromium nodejs espeak-ng \
  vorbis-tools
XVFB := xvfb-run -a -s "-screen 0 1280x800x24"
export KIVY_NO_ARGS := 1
export KIVY_LOG_MODE := PYTHON

.PHONY: demo test test-fast test-clock bench lint screenshots docs docs-images deps sysdeps clean

sysdeps:
	@missing=""; \
	for p in $(DEB_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then \
	    echo "Installing Debian packages:$$missing"; \
	    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $$missing; \
	  else \
	    echo "These Debian packages are missing:$$missing"; \
	    echo "Run:  sudo apt-get install -y$$missing"; \
	    exit 1; \
	  fi; \
	fi

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(VPY) -m pip install -q --upgrade pip
	$(VPY) -m pip install -q -e '.[kiosk,ledger,dev]'
	touch $@

# axe-core (the console's accessibility checks) from the npm registry, served by the tests.
WEB_TOOLS := devtools/web/node_modules/.installed
$(WEB_TOOLS): devtools/web/package.json devtools/web/package-lock.json
	npm ci --prefix devtools/web --no-audit --no-fund --silent
	touch $@

deps: sysdeps $(STAMP) $(WEB_TOOLS)

# Non-GUI tests run on both cores; the GUI tests share one real window, so run alone.
test: deps
	$(XVFB) $(VPY) -m pytest -n 2 --ignore=tests/gui -q
	@if [ -d tests/gui ]; then $(XVFB) $(VPY) -m pytest tests/gui -q; fi

# The non-GUI suite again with every process's clock moved (tests/at_instant.sh), at
# instants (Asia/Shanghai) where a test bound to its date or hour fails: the day, month
# and year turn during the run; a leap day at 03:00, before any activity. Two instants, not
# more: each is a whole pass of the suite inside CI's 30 minutes. Another instant for a
# local look: `make test-clock CLOCK_INSTANTS='"2027-01-01 00:00:30"'`.
# Backend-parametrized tests run on SQLite only here: the date is not the backend's business;
# the sync simulation draws 150 of its 600 seeds per instant (all 600 run in `make test`).
CLOCK_INSTANTS ?= "2026-12-31 23:59:30" "2028-02-29 03:00:00"
test-clock: deps
	@for t in $(CLOCK_INSTANTS); do echo "== every process's clock at $$t (Asia/Shanghai)"; \
	  KIOSK_TEST_BACKENDS=sqlite VK_SIM_SEEDS=150 tests/at_instant.sh "$$t" \
	    $(VPY) -m pytest -n 2 --ignore=tests/gui --ignore=tests/browser -q -p no:cacheprovider \
	    || exit 1; done

test-fast: deps
	$(VPY) -m pytest -n 2 --ignore=tests/gui -q -x

# Every benchmark, each in its own process, on to the end even when one misses its target,
# then one summary of every figure against its target (bench/run_all.py).
# `make bench BENCH_ARGS=--quick` for fewer samples; `BENCH_ARGS="--only idle"` for one.
BENCH_ARGS ?=
bench: deps
	$(XVFB) $(VPY) bench/run_all.py $(BENCH_ARGS)

# bench/bench_district.py's size: 1 is the district of issue 12 (200,000 volunteers, 10
# million events; the first run builds it, long, kept in .bench-cache/); 0.01 for a look.
DISTRICT_SCALE ?= 1
export DISTRICT_SCALE

LINT_PATHS := kiosk sync tests bench deploy devtools
lint: deps
	$(VPY) -m ruff check $(LINT_PATHS)
	$(VPY) -m ruff format --check $(LINT_PATHS)
	$(VPY) -m mypy

# `make screenshots SIZE=1024x600` (the 7-inch touch display) writes test-output/screenshots-1024x600.
SIZE ?= 1280x800
screenshots: deps
	xvfb-run -a -s "-screen 0 $(SIZE)x24" $(VPY) -m devtools.screenshots --size $(SIZE) \
	  --out test-output/screenshots$(if $(filter-out 1280x800,$(SIZE)),-$(SIZE))
	$(VPY) -m devtools.console_screenshots --out test-output/console-screenshots

# The Chinese manual for community workers and an example of the volunteers' poster, as
# A4 PDFs (CJK font embedded), in docs/build.
docs: deps
	$(VPY) -m devtools.docbuild --out docs/build

# The pictures in README.md and docs/images (commit them after a screen changed).
docs-images: screenshots
	$(VPY) -m devtools.docs_images --shots test-output/screenshots --out docs/images

demo: deps
	bash deploy/demo.sh

clean:
	rm -rf $(VENV) demo-data test-output .pytest_cache .hypothesis
