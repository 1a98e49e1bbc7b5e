"""`python -m simcompute` runs the command line."""

import sys

from simcompute.cli import main

sys.exit(main())
