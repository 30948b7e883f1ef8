"""`python -m tailhouse …` is the `tailhouse` command."""

import sys

from tailhouse.collector.cli import main

sys.exit(main())
