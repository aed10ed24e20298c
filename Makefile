# JiXiao's two set-up commands (README.md): `make run` and `make test`.

PYTHON ?= python3.11
VENV := .venv
PY := $(VENV)/bin/python
HOST := 127.0.0.1
PORT := 8501

.PHONY: run test browser

$(PY):
	@command -v $(PYTHON) >/dev/null || { echo "需要 Python 3.11（$(PYTHON)）：请先安装它，或用 make PYTHON=/path/to/python3.11 …" >&2; exit 1; }
	$(PYTHON) -m venv $(VENV)

# Stamps: reinstall only when the pinned requirements change.
$(VENV)/.requirements: requirements.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements.txt
	touch $@

$(VENV)/.requirements-dev: requirements.txt requirements-dev.txt | $(PY)
	$(PY) -m pip install --quiet -r requirements-dev.txt
	touch $@

## run: create the environment, build the demo database if there is none, start the app on 127.0.0.1:8501
## (serve.py: Streamlit serving app.py plus JiXiao's cookie and download routes)
run: $(VENV)/.requirements
	$(PY) -m demo --if-missing
	$(PY) -m streamlit run serve.py --server.address $(HOST) --server.port $(PORT)

## browser: Debian's Chromium and a CJK font for the Playwright journeys (never `playwright install`), and
## poppler-utils (pdffonts, pdftoppm, pdfsig: the sign-off PDF's independent checks)
browser:
	@if [ ! -x /usr/bin/chromium ] || ! dpkg -s fonts-wqy-microhei >/dev/null 2>&1 || ! command -v pdfsig >/dev/null; then \
		if [ "$$(id -u)" -eq 0 ]; then SUDO=; else SUDO=sudo; fi; \
		$$SUDO apt-get update && \
		$$SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium fonts-wqy-microhei poppler-utils; \
	fi

## test: install test needs (Python packages, Chromium, the CJK font) and run the whole suite: the unit and
## AppTest part on every core (at most 4 processes), then the browser journeys one after another
test: $(VENV)/.requirements-dev browser
	$(PY) -m pytest -m "not e2e" -n auto --maxprocesses 4
	$(PY) -m pytest -m e2e
