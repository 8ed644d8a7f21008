"""``python -m engine segment INPUT... --model M --output OUT``."""

import sys

from .cli import main

sys.exit(main())
