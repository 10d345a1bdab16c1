# The README's two commands: `make demo` and `make test`. Each sets up what it needs first.
PYTHON ?= python3
VENV ?= .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed-stamp
PACKAGES := packages/taskonomy-ahp packages/taskonomy-bip packages/taskonomy-data \
            packages/taskonomy-models tools
# Prints how long a stage took, so CI logs show where the time goes.
timed = start=$$(date +%s); $(1); status=$$?; \
        echo "[make] $(2) took $$(( $$(date +%s) - start )) s"; exit $$status

.PHONY: demo test lint format bench gpu-check setup clean

setup: $(STAMP)

$(STAMP): requirements-dev.txt $(addsuffix /pyproject.toml,$(PACKAGES))
	@$(call timed, \
	  { test -x $(BIN)/python || $(PYTHON) -m venv $(VENV); } && \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check -r requirements-dev.txt && \
	  $(BIN)/python -m pip install --quiet --disable-pip-version-check --no-deps pyDecision==5.1.8 && \
	  touch $(STAMP), set-up)

demo: $(STAMP)
	@$(call timed, $(BIN)/taskonomy demo, demo)

lint: $(STAMP)
	@$(call timed, $(BIN)/ruff check . && $(BIN)/ruff format --check ., lint)

format: $(STAMP)
	$(BIN)/ruff check --fix . && $(BIN)/ruff format .

test: lint
	@$(call timed, $(BIN)/python -m pytest --durations=15, tests)

bench: $(STAMP)
	@for p in $(PACKAGES); do \
	  if ls $$p/benchmarks/test_*.py >/dev/null 2>&1; then \
	    echo "== $$p"; \
	    $(BIN)/python -m pytest $$p/benchmarks --benchmark-only -p no:cacheprovider || exit $$?; \
	  fi; \
	done

# The `full` profile shortened (6 buildings, 1 epoch, every task) and timed; figures in one JSON.
gpu-check: $(STAMP)
	@$(call timed, $(BIN)/taskonomy gpu-check --json runs/gpu_check.json $(GPU_CHECK_ARGS), gpu-check)

clean:
	rm -rf $(VENV) .pytest_cache .ruff_cache .benchmarks
