"""Hourly outdoor weather for the cooling model: from the bundled climate table or a CSV.

From the climate table: the daily mean temperature follows the monthly means (linear between
mid-months, periodic over the year), with a cosine daily swing peaking at 15:00 local time;
the dew point of each day comes from its mean temperature and the site's mean relative
humidity (Magnus formula), and the wet-bulb temperature of each hour from its dry-bulb
temperature and humidity (Stull 2011). A user CSV gives `dry_bulb_c` and `wet_bulb_c` per hour.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from importlib import resources

import numpy as np
import yaml

from simcompute.catalog.loader import SAFE_LOADER
from simcompute.errors import ConfigError
from simcompute.power.profiles import HourlyProfile, read_profile
from simcompute.units import SECONDS_PER_HOUR

# Bounds of a weather CSV's temperatures: the WMO's recorded extremes of air temperature are
# -89.2 C (Vostok, 1983) and 56.7 C (Furnace Creek, 1913) (WMO Weather and Climate Extremes
# Archive, https://wmo.asu.edu/); anything outside [-90, 60] C is a unit or column mistake.
MIN_AIR_TEMPERATURE_C = -90.0
MAX_AIR_TEMPERATURE_C = 60.0

HOURS_PER_YEAR = 8760
PEAK_HOUR = 15.0  # daily maximum temperature at ~15:00 local time (typical diurnal cycle)
MID_MONTH_DAY = np.array([15.5, 45, 74.5, 105, 135.5, 166, 196.5, 227.5, 258, 288.5, 319, 349.5])


@dataclass(frozen=True)
class Climate:
    """Compact climate of one site (see catalog/data/climate.yaml)."""

    station: str
    source: str
    monthly_mean_c: tuple[float, ...]
    daily_range_c: float
    relative_humidity_pct: float


def load_climates() -> dict[str, Climate]:
    """The bundled climate table, by region id."""
    text = resources.files("simcompute.catalog.data").joinpath("climate.yaml").read_text(encoding="utf-8")
    raw = yaml.load(text, Loader=SAFE_LOADER)["climate"]
    out = {}
    for region, entry in raw.items():
        if len(entry["monthly_mean_c"]) != 12:
            raise ValueError(f"climate.yaml: {region}.monthly_mean_c must have 12 values")
        out[region] = Climate(
            station=entry["station"],
            source=entry["source"],
            monthly_mean_c=tuple(float(x) for x in entry["monthly_mean_c"]),
            daily_range_c=float(entry["daily_range_c"]),
            relative_humidity_pct=float(entry["relative_humidity_pct"]),
        )
    return out


def dew_point_c(t_c: np.ndarray, rh_pct: np.ndarray) -> np.ndarray:
    """Magnus formula (Alduchov & Eskridge 1996 coefficients 17.625, 243.04 C)."""
    a, b = 17.625, 243.04
    gamma = np.log(np.asarray(rh_pct) / 100.0) + a * t_c / (b + t_c)
    return b * gamma / (a - gamma)


def relative_humidity_pct(t_c: np.ndarray, dew_c: np.ndarray) -> np.ndarray:
    """Inverse of `dew_point_c` (Magnus), clipped to [5, 99] % (the range of Stull's fit)."""
    a, b = 17.625, 243.04
    rh = 100.0 * np.exp(a * dew_c / (b + dew_c) - a * t_c / (b + t_c))
    return np.clip(rh, 5.0, 99.0)


def wet_bulb_c(t_c: np.ndarray, rh_pct: np.ndarray) -> np.ndarray:
    """Stull 2011, "Wet-Bulb Temperature from Relative Humidity and Air Temperature", J. Appl.
    Meteor. Climatol. 50, eq. 1 (sea level; +-1 C for RH 5-99 %, T -20..50 C)."""
    t, rh = np.asarray(t_c, dtype=float), np.asarray(rh_pct, dtype=float)
    return (
        t * np.arctan(0.151977 * np.sqrt(rh + 8.313659))
        + np.arctan(t + rh)
        - np.arctan(rh - 1.676331)
        + 0.00391838 * rh**1.5 * np.arctan(0.023101 * rh)
        - 4.686035
    )


@dataclass(frozen=True)
class Weather:
    """Hourly dry-bulb and wet-bulb temperature by hour index since 1 January 00:00."""

    dry_bulb_c: np.ndarray
    wet_bulb_c: np.ndarray
    source: str

    def at(self, hour_index: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        i = np.mod(hour_index, len(self.dry_bulb_c))
        return self.dry_bulb_c[i], self.wet_bulb_c[i]


def climate_weather(climate: Climate) -> Weather:
    """A typical year (8760 hours) from a compact climate (see the module docstring)."""
    hours = np.arange(HOURS_PER_YEAR, dtype=float)
    day = hours / 24.0
    months = np.asarray(climate.monthly_mean_c)
    x = np.concatenate([MID_MONTH_DAY - 365, MID_MONTH_DAY, MID_MONTH_DAY + 365])
    daily_mean = np.interp(day + 0.5, x, np.tile(months, 3))
    swing = 0.5 * climate.daily_range_c * np.cos(2 * np.pi * (np.mod(hours, 24) - PEAK_HOUR) / 24.0)
    dry = daily_mean + swing
    dew = np.minimum(dew_point_c(daily_mean, climate.relative_humidity_pct), dry)
    wet = wet_bulb_c(dry, relative_humidity_pct(dry, dew))
    return Weather(
        dry_bulb_c=dry, wet_bulb_c=np.minimum(wet, dry), source=f"{climate.station}: {climate.source}"
    )


def csv_weather(field: str, path: str) -> Weather:
    """Weather from a user CSV: columns hour, dry_bulb_c, wet_bulb_c (see power/profiles.py)."""
    profile: HourlyProfile = read_profile(
        field,
        path,
        ("dry_bulb_c", "wet_bulb_c"),
        minimum=MIN_AIR_TEMPERATURE_C,
        maximum=MAX_AIR_TEMPERATURE_C,
    )
    dry, wet = profile.columns["dry_bulb_c"], profile.columns["wet_bulb_c"]
    bad = np.nonzero(wet > dry + 1e-9)[0]
    if len(bad):
        raise ConfigError(
            field,
            f"{profile.source} row {bad[0] + 2}, column 'wet_bulb_c': {wet[bad[0]]:g} is above the dry-bulb "
            f"temperature {dry[bad[0]]:g}",
        )
    return Weather(dry_bulb_c=dry, wet_bulb_c=wet, source=profile.source)


def hours_since_new_year(start: datetime) -> float:
    """Hours from 1 January 00:00 of `start`'s year to `start` (profiles are indexed this way)."""
    return (start - datetime(start.year, 1, 1)).total_seconds() / SECONDS_PER_HOUR
