# Two commands on a fresh machine: `make run` and `make test`.
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test lint eval train bench clean chromium

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

test: $(STAMP) lint chromium
	$(BIN)/python -m pytest -n 2 tests

# Extraction quality on ../shared/corpus and the seed note; RECORD=1 stores the new F1.
eval: $(STAMP)
	$(BIN)/python tests/eval.py $(if $(RECORD),--record)
# The bench vault (2,000 notes, 20,000 cards) and the timings: build/bench/, build/bench.json.
bench: $(STAMP)
	$(BIN)/python bench/run.py --out build

clean:
	rm -rf build dist $(VENV)

# The scorer's weights from the corpus gold (../shared): src/notedeck/rules/weights.json.
train: $(STAMP)
	$(BIN)/python tests/train.py
