"""Calibration: a bundled PyTorch trainer and energy meter that measure a machine and fit a profile.

`simcompute calibrate` (or `python -m calibration`) runs a sweep of small GPT trainings and
inference steps, measures step times and energy, fits the parameters the simulator uses and
writes a calibration profile (`calibration/README.md`). Needs the `calibrate` extra (torch).
"""
