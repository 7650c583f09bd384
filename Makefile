# Two commands do all setup on a fresh machine:
#   make demo   -- create .venv, install, build the KB, analyze, relate, recommend
#   make test   -- create .venv, install, run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     ?= anodelab.db
OUT    ?= demo-output

.PHONY: install demo test test-browser lint typecheck-shim bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,browser]'
	# BoTorch compiles its fused hypervolume kernel once (~30 s, g++ + ninja), not on a user's first command.
	$(BIN)/python -m anodelab.optimize.warmup
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m anodelab.demo --db $(DB) --out $(OUT)

test: $(STAMP)
	$(BIN)/pytest tests -n 2 -q

# The web UI in a real browser: Playwright + Debian's chromium-headless-shell (never Playwright's own
# download).  Screenshots land in tests/browser/screenshots/ (gitignored).  `make test` skips these.
CHROMIUM ?= /usr/bin/chromium-headless-shell
test-browser: $(STAMP)
	@test -x $(CHROMIUM) || { echo "missing $(CHROMIUM): apt-get install -y chromium-headless-shell"; exit 1; }
	ANODELAB_BROWSER_TESTS=1 ANODELAB_CHROMIUM=$(CHROMIUM) $(BIN)/pytest tests/browser -q -p no:xdist

# mypy and import-linter cannot see the package-dir mapping; give them a symlink shim.
# (copies: import-linter's scanner follows neither directory nor file symlinks)
typecheck-shim:
	rm -rf .typecheck && mkdir -p .typecheck
	cp -r $(CURDIR)/anodelab .typecheck/anodelab
	for d in schema kb ingest echem models optimize; do cp -r $(CURDIR)/$$d .typecheck/anodelab/$$d; done
	find .typecheck -name __pycache__ -prune -exec rm -rf {} +

lint: $(STAMP) typecheck-shim
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	$(BIN)/python tools/lint_imports.py
	$(BIN)/python tools/check_sql.py
	MYPYPATH=.typecheck $(BIN)/mypy -p anodelab

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .typecheck $(DB) $(OUT)
