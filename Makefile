# The two commands a newcomer needs: `make book` and `make test` (`make test-fast`, `make docs` beside them).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin

.PHONY: book test test-fast docs install install-test install-ace lock clean

book: install  ## install bookmaker and build the sample book into build/
	$(BIN)/bookmaker pdf
	$(BIN)/bookmaker epub

docs: install  ## build the manual (docs/manual, a bookmaker book) into docs/manual/build/: PDF, EPUB and HTML
	$(BIN)/bookmaker build docs/manual --strict

test: install-test install-ace  ## install the test dependencies and run the tests
	$(BIN)/python -m pytest -n 2 --dist worksteal

test-fast: install-test  ## the fast tests only: no EPUBCheck, Ace, Chromium or whole-book PDF (under 30 s)
	$(BIN)/python -m pytest -n 2 -m "not slow"

install: $(VENV)/.installed
install-test: $(VENV)/.installed-test

# The versions the tests passed with, pinned with hashes (requirements/*.lock, written by `make lock`);
# pyproject.toml keeps the ranges for those who install bookmaker as a library.
$(VENV)/.installed: pyproject.toml requirements/app.lock scripts/system-packages.sh
	scripts/system-packages.sh book
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --quiet --upgrade pip
	$(BIN)/pip install --quiet --require-hashes -r requirements/app.lock
	$(BIN)/pip install --quiet --no-deps -e .
	touch $@

$(VENV)/.installed-test: $(VENV)/.installed requirements/test.lock
	scripts/system-packages.sh test
	$(BIN)/pip install --quiet --require-hashes -r requirements/test.lock
	touch $@

# After changing a dependency in pyproject.toml: install it (.venv/bin/pip install -e '.[test]'), pass
# `make test`, then write the locks anew from that environment.
lock:
	scripts/lock.sh

# DAISY Ace, which the tests run on every EPUB they build. Puppeteer's own browser
# download is skipped: Ace drives Debian's chromium (installed above).
install-ace: node_modules/.installed

node_modules/.installed: package.json package-lock.json $(VENV)/.installed-test
	PUPPETEER_SKIP_DOWNLOAD=1 npm ci --no-audit --no-fund --loglevel=error
	touch $@

clean:
	rm -rf build $(VENV) node_modules
