import math

import pytest

from simcompute import units
from simcompute.units import format_duration, parse_count, parse_duration


@pytest.mark.parametrize(
    ("text", "seconds"),
    [
        ("90s", 90),
        ("15m", 900),
        ("6h", 21600),
        ("30d", 2592000),
        ("1.5h", 5400),
        (42, 42),
        ("250ms", 0.25),
        ("2w", 1209600),
    ],
)
def test_parse_duration(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["6 hours", "abc", "-5s", "", True, None, [1]])
def test_parse_duration_rejects(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


@pytest.mark.parametrize(
    ("text", "count"),
    [("2e12", 2e12), ("2T", 2e12), ("300B", 3e11), ("4M", 4e6), ("1.5k", 1500), (7, 7), ("1_000", 1000)],
)
def test_parse_count(text, count):
    assert parse_count(text) == count


@pytest.mark.parametrize("bad", ["3X", "lots", "inf", True, -1])
def test_parse_count_rejects(bad):
    with pytest.raises(ValueError):
        parse_count(bad)


def test_format_duration():
    assert format_duration(2 * 86400) == "2d"
    assert format_duration(5400) == "1.5h"
    assert not math.isnan(float(format_duration(3)[:-1]))


def test_unit_constants_agree():
    assert units.SECONDS_PER_HOUR == 60 * units.SECONDS_PER_MINUTE == 3600.0
    assert units.SECONDS_PER_DAY == 24 * units.SECONDS_PER_HOUR
    assert units.J_PER_KWH == 1000.0 * units.SECONDS_PER_HOUR  # 1 kW for 1 h
    assert units.parse_duration("2h") == 2 * units.SECONDS_PER_HOUR
