"""Unit constants, and parsing of human-friendly quantities: durations (`90s`, `6h`, `30d`) and
counts (`2T`, `4M`).

Counts use decimal SI multipliers (`4M` = 4,000,000), as token counts are reported in papers;
binary ones (`4Mi` = 4 x 2^20 = 4,194,304) for batch sizes, which papers write as "4M" meaning 2^22.
"""

from __future__ import annotations

import math
import re

from simcompute.errors import show

SECONDS_PER_MINUTE = 60.0
SECONDS_PER_HOUR = 3600.0
SECONDS_PER_DAY = 86400.0
J_PER_KWH = 3.6e6
"""Joules in a kilowatt-hour (1000 W x 3600 s)."""
BYTES_PER_GIB = 2.0**30
"""Bytes in a GiB: GPU memory capacities are binary (an "80 GB" GPU holds 80 GiB)."""

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


MAX_NUMBER_CHARS = 64
"""A number written with more characters than this is a mistake (and would be slow to convert)."""


def _text_number(value: str, pattern: re.Pattern[str], what: str, example: str) -> re.Match[str]:
    """The match of a number-with-unit string, or an error that says what is wrong with it."""
    text = value.strip()
    if len(text) > MAX_NUMBER_CHARS:
        raise ValueError(f"a {what} of {len(text):,} characters is not a number this size can be")
    match = pattern.match(text)
    if match:
        return match
    if text.startswith("-") and pattern.match(text[1:]):
        raise ValueError(f"{what} must not be negative (got {show(value)})")
    raise ValueError(f"cannot parse {what} {show(value)}; {example}")


def _number(value: object, what: str) -> float | None:
    """A plain number as float (None for strings); booleans and other types are refused."""
    if isinstance(value, bool):
        raise ValueError(f"expected a {what}, got {value!r}")
    if isinstance(value, int):
        if abs(value) > 10**30:
            raise ValueError(f"{what} {show(value)} is beyond any physical range")
        return float(value)
    if isinstance(value, float):
        return value
    if isinstance(value, str):
        return None
    raise ValueError(f"expected a {what}, got {type(value).__name__}")


def _checked(number: float, value: object, what: str) -> float:
    if not math.isfinite(number):
        raise ValueError(f"{what} must be finite (got {show(value)})")
    if number < 0:
        raise ValueError(f"{what} must not be negative (got {show(value)})")
    return number


def parse_duration(value: object) -> float:
    """Seconds from a number (seconds) or a string like `90s`, `15m`, `6h`, `30d`, `1.5w`."""
    seconds = _number(value, "duration")
    if seconds is None:
        assert isinstance(value, str)
        match = _text_number(value, _DURATION_RE, "duration",
                             "use seconds or a number with a unit (ms, s, m, h, d, w, y), e.g. '6h'")  # fmt: skip
        seconds = float(match.group(1)) * SECONDS_PER_UNIT[match.group(2) or "s"]
    return _checked(seconds, value, "duration")


def parse_count(value: object) -> float:
    """A count from a number or a string like `2e12`, `300B`, `4M`, `2T` (decimal) or `4Mi` (binary)."""
    count = _number(value, "count")
    if count is None:
        assert isinstance(value, str)
        match = _text_number(value.replace("_", "").replace(",", ""), _COUNT_RE, "count",
                             "use a number, '2e12', a suffix k/M/B/T (e.g. '300B') or Ki/Mi/Gi/Ti ('4Mi')")  # fmt: skip
        count = float(match.group(1)) * COUNT_MULTIPLIERS[match.group(2)]
    return _checked(count, value, "count")


def format_duration(seconds: float) -> str:
    """Short human form of a duration, for tables (`3.2h`, `14.8d`)."""
    for unit, size in (("d", SECONDS_PER_DAY), ("h", SECONDS_PER_HOUR), ("m", SECONDS_PER_MINUTE)):
        if seconds >= size:
            return f"{seconds / size:.3g}{unit}"
    return f"{seconds:.3g}s"
