"""`python -m calibration ...` is `simcompute calibrate ...`."""

import sys

from simcompute.cli import main

sys.exit(main(["calibrate", *sys.argv[1:]]))
