"""Unit constants, and parsing of human-friendly quantities: durations (`90s`, `6h`, `30d`) and
counts (`2T`, `4M`).

Counts use decimal SI multipliers (`4M` = 4,000,000), as token counts are reported in papers;
binary ones (`4Mi` = 4 x 2^20 = 4,194,304) for batch sizes, which papers write as "4M" meaning 2^22.
"""

from __future__ import annotations

import math
import re

SECONDS_PER_MINUTE = 60.0
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0
J_PER_KWH = 3.6e6
"""Joules in a kilowatt-hour (1000 W x 3600 s)."""

SECONDS_PER_UNIT = {
    "ms": 1e-3,
    "s": 1.0,
    "m": SECONDS_PER_MINUTE,
    "min": SECONDS_PER_MINUTE,
    "h": SECONDS_PER_HOUR,
    "d": SECONDS_PER_DAY,
    "w": 7 * SECONDS_PER_DAY,
    "y": 365 * SECONDS_PER_DAY,
}
COUNT_MULTIPLIERS = {"": 1.0, "k": 1e3, "K": 1e3, "M": 1e6, "B": 1e9, "G": 1e9, "T": 1e12, "P": 1e15,
                     "Ki": 2.0**10, "Mi": 2.0**20, "Gi": 2.0**30, "Ti": 2.0**40}  # fmt: skip

_NUMBER = r"[0-9]*\.?[0-9]+(?:[eE][+-]?[0-9]+)?"
_DURATION_RE = re.compile(rf"^\s*({_NUMBER})\s*(ms|s|min|m|h|d|w|y)?\s*$")
_COUNT_RE = re.compile(rf"^\s*({_NUMBER})\s*(Ki|Mi|Gi|Ti|[kKMBGTP]?)\s*$")


def _reject_bool(value: object, what: str) -> None:
    if isinstance(value, bool):
        raise ValueError(f"expected a {what}, got {value!r}")


def parse_duration(value: object) -> float:
    """Seconds from a number (seconds) or a string like `90s`, `15m`, `6h`, `30d`, `1.5w`."""
    _reject_bool(value, "duration")
    if isinstance(value, (int, float)):
        seconds = float(value)
    elif isinstance(value, str):
        match = _DURATION_RE.match(value)
        if not match:
            raise ValueError(
                f"cannot parse duration {value!r}; use seconds or a number with a unit "
                "(ms, s, m, h, d, w, y), e.g. '90s', '6h', '30d'"
            )
        seconds = float(match.group(1)) * SECONDS_PER_UNIT[match.group(2) or "s"]
    else:
        raise ValueError(f"expected a duration (e.g. '6h' or 3600), got {type(value).__name__}")
    if not math.isfinite(seconds) or seconds < 0:
        raise ValueError(f"duration must be finite and >= 0, got {value!r}")
    return seconds


def parse_count(value: object) -> float:
    """A count from a number or a string like `2e12`, `300B`, `4M`, `2T` (decimal) or `4Mi` (binary)."""
    _reject_bool(value, "count")
    if isinstance(value, (int, float)):
        count = float(value)
    elif isinstance(value, str):
        match = _COUNT_RE.match(value.replace("_", "").replace(",", ""))
        if not match:
            raise ValueError(
                f"cannot parse count {value!r}; use a number, '2e12', or a suffix k/M/B/T (e.g. '300B') "
                "or Ki/Mi/Gi/Ti (e.g. '4Mi' = 4 x 2^20)"
            )
        count = float(match.group(1)) * COUNT_MULTIPLIERS[match.group(2)]
    else:
        raise ValueError(f"expected a count (e.g. '300B' or 3e11), got {type(value).__name__}")
    if not math.isfinite(count) or count < 0:
        raise ValueError(f"count must be finite and >= 0, got {value!r}")
    return count


def format_duration(seconds: float) -> str:
    """Short human form of a duration, for tables (`3.2h`, `14.8d`)."""
    for unit, size in (("d", SECONDS_PER_DAY), ("h", SECONDS_PER_HOUR), ("m", SECONDS_PER_MINUTE)):
        if seconds >= size:
            return f"{seconds / size:.3g}{unit}"
    return f"{seconds:.3g}s"
