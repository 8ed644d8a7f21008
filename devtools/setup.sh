#!/usr/bin/env bash
# Idempotent setup: Debian's QGIS + GDAL, then .venv (system site packages) with the pins
# from pyproject.toml. A run with nothing to do takes a second or two.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(qgis python3-qgis qgis-providers python3-gdal gdal-bin python3-venv fonts-dejavu-core)
missing=()
for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing Debian packages: ${missing[*]}"
    SUDO=""
    [ "$(id -u)" -ne 0 ] && SUDO="sudo"
    export DEBIAN_FRONTEND=noninteractive
    $SUDO apt-get update -q
    $SUDO apt-get install -y -q --no-install-recommends "${missing[@]}"
fi

# QGIS and GDAL bindings exist for Debian's interpreter only: the venv must be built on it.
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c "import osgeo, qgis" 2>/dev/null; then
    echo "setup: creating .venv on /usr/bin/python3 (with system site packages)"
    rm -rf .venv
    /usr/bin/python3 -m venv --system-site-packages .venv
fi

wanted=$(/usr/bin/python3 devtools/requirements.py train dev)
if [ "$(cat .venv/requirements.installed 2>/dev/null)" != "$wanted" ]; then
    echo "setup: installing pinned Python packages into .venv"
    echo "$wanted" > .venv/requirements.txt
    # numpy 2 breaks Debian's GDAL arrays; the constraint keeps every dependency on 1.x.
    echo "numpy<2" > .venv/constraints.txt
    .venv/bin/python -m pip install -q --disable-pip-version-check \
        -r .venv/requirements.txt -c .venv/constraints.txt
    echo "$wanted" > .venv/requirements.installed
fi
echo "setup: ready (.venv/bin/python)"
