# One command to set up and run the app, one to set up and run the tests (see README.md).
PYTHON ?= python3
VENV := .venv
BIN := $(VENV)/bin
STAMP := $(VENV)/.installed

.PHONY: run test bench clean

$(STAMP): pyproject.toml
	$(PYTHON) -m venv $(VENV)
	$(BIN)/pip install --upgrade pip
	$(BIN)/pip install -e '.[test]'
	touch $(STAMP)

run: $(STAMP)
	$(BIN)/localsearch $(ARGS)

test: $(STAMP)
	$(BIN)/mypy
	QT_QPA_PLATFORM=offscreen HF_HUB_OFFLINE=1 $(BIN)/python -m pytest $(PYTEST_ARGS)

bench: $(STAMP)
	$(BIN)/python bench/ingest_throughput.py
	$(BIN)/python bench/query_latency.py --home bench/out/home
	$(BIN)/python bench/api_load.py --home bench/out/home
	QT_QPA_PLATFORM=offscreen $(BIN)/python bench/gui_latency.py --home bench/out/home
	$(BIN)/python bench/fusion_eval.py
	$(BIN)/python bench/watch_storm.py
	$(BIN)/python bench/photo_throughput.py --photos 1000 --ocr-sample 100
	$(BIN)/python bench/embed_throughput.py --device cpu

clean:
	rm -rf $(VENV) build *.egg-info
