# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed
# A real Anki desktop for the push tests, in a venv of its own (Qt: ~620 MB, kept like .venv).
ANKI_VENV := .venv-anki
ANKI_STAMP := $(ANKI_VENV)/.installed

.PHONY: run test lint eval train bench clean chromium anki-desktop mathjax

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/python -m pip install --quiet --upgrade pip
	$(BIN)/python -m pip install --quiet -e '.[dev,anki]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/notedeck build cards -o build

lint: $(STAMP)
	$(BIN)/ruff check src tests bench
	$(BIN)/ruff format --check src tests bench
	$(BIN)/mypy --strict src

# The browser tests open the preview page in Debian's chromium; install it when it is missing
# and we may (root with apt-get). Without it those tests are skipped, never faked.
chromium:
	@if [ ! -x /usr/bin/chromium ] && [ "$$(id -u)" = 0 ] && command -v apt-get >/dev/null; then \
		echo "installing chromium for the browser tests"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium >/dev/null; \
	fi

$(ANKI_STAMP): tests/anki-desktop.txt
	$(PYTHON) -m venv $(ANKI_VENV)
	$(ANKI_VENV)/bin/python -m pip install --quiet --upgrade pip
	$(ANKI_VENV)/bin/python -m pip install --quiet -r tests/anki-desktop.txt
	touch $(ANKI_STAMP)

anki-desktop: $(ANKI_STAMP)

# The visual test typesets math in Anki's cards with MathJax 3.2.2, the version Anki bundles
# (its reviewer does the same); from npm into the venv. Without npm that test is skipped.
MATHJAX := $(VENV)/npm/node_modules/mathjax/es5/tex-chtml-full.js
mathjax: $(STAMP)
	@if [ ! -f $(MATHJAX) ] && command -v npm >/dev/null; then \
		echo "installing MathJax for the visual test"; \
		npm install --silent --no-audit --no-fund --no-save --no-package-lock \
			--prefix $(VENV)/npm mathjax@3.2.2; \
	fi

test: $(STAMP) lint chromium mathjax $(ANKI_STAMP)
	$(BIN)/python -m pytest -n 2 tests

# Extraction quality on ../shared/corpus and the seed note; RECORD=1 stores the new F1.
eval: $(STAMP)
	$(BIN)/python tests/eval.py $(if $(RECORD),--record)
# The bench vaults (20,000 and 100,000 terms), watch latency and the timings: build/bench/,
# build/bench.json. SCALE=0.1 runs it on vaults a tenth the size.
bench: $(STAMP)
	$(BIN)/python bench/run.py --out build $(if $(SCALE),--scale $(SCALE))

clean:
	rm -rf build dist $(VENV) $(ANKI_VENV)

# The scorer's weights from the corpus gold (../shared): src/notedeck/rules/weights.json.
train: $(STAMP)
	$(BIN)/python tests/train.py
