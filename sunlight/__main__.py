"""`python -m sunlight` runs the command line."""

import sys

from sunlight.cli import main

sys.exit(main())
