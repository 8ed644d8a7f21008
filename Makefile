# The README's two commands: `make demo` and `make test`. Everything else serves them.
SHELL := /bin/bash
PY := .venv/bin/python
VERSION := $(shell sed -n 's/^version=//p' metadata.txt)
export QT_QPA_PLATFORM := offscreen

.PHONY: setup test lint pytest demo package bench screenshots clean qt6-check test-newer-qgis int8

setup:
	@bash devtools/setup.sh

lint: setup
	$(PY) -m ruff check .
	$(PY) -m ruff format --check .
	$(PY) -m devtools.security_check

pytest: setup
	@tmp=$$(mktemp -d) && chmod 700 $$tmp && \
	QGIS_CUSTOM_CONFIG_PATH=$$tmp XDG_RUNTIME_DIR=$$tmp $(PY) -m pytest $(PYTEST_ARGS); \
	rc=$$?; rm -rf $$tmp; exit $$rc

test: setup lint pytest

demo: setup
	$(PY) -m devtools.demo

screenshots: setup
	$(PY) -m devtools.screenshots

package: setup
	$(PY) -m devtools.package --out dist

bench: setup
	$(PY) bench/run_all.py

# The INT8 copy of a bundled model (MODEL=resources/models/M.onnx writes M_int8.onnx beside
# it), calibrated on fresh synthetic scenes and compared with it on the sample scene.
int8: setup
	$(PY) -m devtools.bundled_model int8 $(if $(MODEL),--model $(MODEL))

# Qt5-only forms (unscoped enums, exec_, PyQt5 imports ...) in the plugin's shipped modules.
qt6-check: setup
	$(PY) -m devtools.qt6_check

# The QGIS tests and make demo on Debian 13 (QGIS 3.40) and unstable (newest QGIS), each in a
# cached debootstrap root under /var/tmp (needs root). SUITES="trixie" runs one.
test-newer-qgis:
	bash devtools/newer_qgis.sh $(SUITES)

clean:
	rm -rf dist build .pytest_cache .ruff_cache .qgis-settings demo_output
