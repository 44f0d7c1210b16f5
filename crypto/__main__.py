"""Entry point of ``python -m crypto``."""

import sys

from crypto.cli import main

sys.exit(main())
