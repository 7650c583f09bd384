# Two commands do all setup on a fresh machine:
#   make demo   -- create .venv, install, build the KB, analyze, relate, recommend
#   make test   -- create .venv, install, run the test suite
PYTHON ?= python3
VENV   := .venv
BIN    := $(VENV)/bin
STAMP  := $(VENV)/.installed
DB     ?= anodelab.db
OUT    ?= demo-output

.PHONY: install demo test lint typecheck-shim bench clean

$(STAMP): pyproject.toml
	test -x $(BIN)/python || $(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev]'
	touch $(STAMP)

install: $(STAMP)

demo: $(STAMP)
	$(BIN)/python -m anodelab.demo --db $(DB) --out $(OUT)

test: $(STAMP)
	$(BIN)/pytest tests -n 2 -q

# mypy and import-linter cannot see the package-dir mapping; give them a symlink shim.
typecheck-shim:
	rm -rf .typecheck && mkdir -p .typecheck/anodelab
	for f in anodelab/*; do ln -s ../../$$f .typecheck/anodelab/$$(basename $$f); done
	for d in schema kb ingest echem models optimize; do ln -s ../../$$d .typecheck/anodelab/$$d; done

lint: $(STAMP) typecheck-shim
	$(BIN)/ruff check .
	$(BIN)/ruff format --check .
	PYTHONPATH=.typecheck $(BIN)/lint-imports
	MYPYPATH=.typecheck $(BIN)/mypy -p anodelab

bench: $(STAMP)
	$(BIN)/python bench/run_all.py

clean:
	rm -rf $(VENV) .typecheck $(DB) $(OUT)
