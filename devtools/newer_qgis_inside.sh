#!/usr/bin/env bash
# Runs inside a root made by devtools/newer_qgis.sh: `make setup` as on any Debian machine,
# then the test suite and `make demo`; the last line is one row of the results table.
# Usage (inside the root): bash devtools/newer_qgis_inside.sh REFRESH PYTEST_ARGS
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
refresh=${1:-0}
pytest_args=${2:-}
debian="Debian $(cat /etc/debian_version)"

row() {  # qgis python versions pytest demo
    echo "newer-qgis-result: | $debian | $1 | $2 | $3 | $4 | $5 |"
}

update-ca-certificates >/dev/null 2>&1 || true
if [ "$refresh" = 1 ]; then
    echo "newer-qgis: apt-get upgrade"
    apt-get update -q && apt-get -y -q upgrade
fi

echo "newer-qgis: $debian: make setup"
if ! make setup; then
    row "?" "?" "?" "make setup failed" "not run"
    exit 1
fi

apt-get clean  # the downloaded packages are not needed again: a cached root stays smaller

py=.venv/bin/python
qgis=$($py -c "from qgis.core import Qgis; print(Qgis.QGIS_VERSION.split('-')[0])" 2>/dev/null || echo "?")
python=$($py -c "import platform; print(platform.python_version())")
libs=$($py -c "
from osgeo import gdal
import numpy, torch
print(gdal.__version__, '/', numpy.__version__, '/', torch.__version__)" 2>&1 | tail -n 1)
echo "newer-qgis: QGIS $qgis, Python $python, GDAL / numpy / torch: $libs"

QT_QPA_PLATFORM=offscreen $py -m devtools.qgis_enum_table dump >"../qgis-enums-$qgis.json" || true

echo "newer-qgis: pytest ${pytest_args:-(all tests)}"
make pytest PYTEST_ARGS="-p no:cacheprovider -q $pytest_args" 2>&1 | tee /tmp/pytest.log
summary=$(grep -E '[0-9]+ (passed|failed|errors?)\b.* in [0-9.]+s' /tmp/pytest.log | tail -n 1 |
    sed -E 's/^=+ //; s/ =+$//')
echo "newer-qgis: pytest: ${summary:-no summary}"
grep -E '^(FAILED|ERROR) ' /tmp/pytest.log | sed 's/^/newer-qgis: /' || true

echo "newer-qgis: make demo"
if make demo 2>&1 | tee /tmp/demo.log; then
    demo="ran ($(grep -m 1 -o -E "pixel accuracy [0-9.]+ %, mIoU [0-9.]+" /tmp/demo.log || true) against the label)"
else
    demo="failed: $(tail -n 1 /tmp/demo.log)"
fi
echo "newer-qgis: make demo: $demo"
row "$qgis" "$python" "$libs" "${summary:-no summary}" "$demo"
