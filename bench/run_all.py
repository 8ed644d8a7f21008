"""`make bench`: every benchmark with its default settings, figures on stdout."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent

SCRIPTS = ("throughput.py", "memory.py", "cluster.py", "int8.py", "tta.py", "polygons.py")
for script in SCRIPTS:
    print(f"== {script}", flush=True)
    subprocess.run([sys.executable, str(HERE / script)], check=True)
