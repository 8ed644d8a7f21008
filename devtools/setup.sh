#!/usr/bin/env bash
# Idempotent setup: Debian's QGIS + GDAL, then .venv (system site packages) with the pins
# from pyproject.toml. A run with nothing to do takes a second or two. Works on Debian 12
# (QGIS 3.22, Python 3.11, numpy 1) and Debian 13 (QGIS 3.40, Python 3.13, numpy 2).
set -euo pipefail
cd "$(dirname "$0")/.."

apt_install() {  # installs the Debian packages given that are not installed yet
    local missing=() pkg
    for pkg in "$@"; do
        dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
    done
    [ ${#missing[@]} -gt 0 ] || return 0
    echo "setup: installing Debian packages: ${missing[*]}"
    local sudo=""
    [ "$(id -u)" -ne 0 ] && sudo="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $sudo apt-get update -q
    $sudo apt-get install -y -q --no-install-recommends "${missing[@]}"
}

# Whether pip's file for a torch requirement is a CPU build (its metadata asks for no CUDA
# packages). Reads metadata only; false when pip finds no file for this Python at all.
pip_torch_is_cpu_build() {
    .venv/bin/python -m pip install --quiet --disable-pip-version-check --dry-run --no-deps \
        --ignore-installed --report - "$1" 2>/dev/null | .venv/bin/python -c '
import json, sys
try:
    report = json.load(sys.stdin)
except ValueError:  # pip found nothing to install
    sys.exit(1)
needs = [r for item in report["install"] for r in item["metadata"].get("requires_dist") or []]
sys.exit(1 if not report["install"] or any(r.startswith(("nvidia-", "cuda-")) for r in needs) else 0)'
}

apt_install qgis python3-qgis qgis-providers python3-gdal gdal-bin python3-venv fonts-dejavu-core

# QGIS and GDAL bindings exist for Debian's interpreter only: the venv must be built on it.
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import osgeo, qgis" 2>/dev/null; then
    echo "setup: creating .venv on /usr/bin/python3 (with system site packages)"
    rm -rf .venv
    /usr/bin/python3 -m venv --system-site-packages .venv
fi

wanted=$(/usr/bin/python3 devtools/requirements.py train cluster dev)
if [ "$(cat .venv/requirements.installed 2>/dev/null)" != "$wanted" ]; then
    echo "setup: installing pinned Python packages into .venv"
    requirements=$wanted
    # numpy stays on the major version Debian's GDAL was built against (1 on Debian 12, 2 on
    # Debian 13): across majors `from osgeo import gdal_array` fails.
    numpy_major=$(/usr/bin/python3 -c "import numpy; print(numpy.__version__.split('.')[0])")
    echo "numpy<$((numpy_major + 1))" >.venv/constraints.txt
    # torch: the pinned file where pip's is a CPU build (Debian 12's Python here). Elsewhere
    # PyPI's Linux torch is a CUDA build pulling several GB of nvidia packages, so Debian's
    # own CPU build (python3-torch) is used, and pinned so that nothing pulls PyPI's.
    torch_pin=$(grep -E '^torch==' <<<"$wanted" || true)
    if [ -n "$torch_pin" ] && ! pip_torch_is_cpu_build "$torch_pin"; then
        if apt-cache show python3-torch >/dev/null 2>&1; then
            echo "setup: pip's $torch_pin for this Python is a CUDA build; using Debian's python3-torch"
            apt_install python3-torch
            debian_torch=$(/usr/bin/python3 -c "import importlib.metadata as m; print(m.version('torch'))")
            requirements=$(grep -v -E '^torch==' <<<"$wanted")
            echo "torch==${debian_torch%%+*}" >>.venv/constraints.txt
        else
            echo "setup: no CPU build of torch found; pip installs $torch_pin (a CUDA build)"
        fi
    fi
    echo "$requirements" >.venv/requirements.txt
    .venv/bin/python -m pip install -q --disable-pip-version-check \
        -r .venv/requirements.txt -c .venv/constraints.txt
    echo "$wanted" >.venv/requirements.installed
fi
echo "setup: ready (.venv/bin/python)"
