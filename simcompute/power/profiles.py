"""Hourly profiles from CSV files: weather, grid carbon intensity, electricity prices.

A profile CSV has an `hour` column (0, 1, 2, ... consecutive: hours since 1 January 00:00 of
the run's start year) and one column per quantity. It repeats with its own length: 24 rows
make a daily profile, 168 a weekly one, 8760 a year. Every problem is a `ConfigError` that
names the scenario field, the file, and the row and column.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from simcompute.errors import ConfigError

BUNDLED_DIR = Path(__file__).resolve().parents[1] / "catalog" / "data" / "profiles"


@dataclass(frozen=True)
class HourlyProfile:
    """Columns of hourly values that repeat with period `len(hour)`."""

    source: str
    columns: dict[str, np.ndarray]

    @property
    def hours(self) -> int:
        return len(next(iter(self.columns.values())))

    def at(self, column: str, hour_index: np.ndarray) -> np.ndarray:
        """Values at absolute hour indices (hours since 1 January 00:00), repeating."""
        return self.columns[column][np.mod(hour_index, self.hours)]


def resolve_profile_path(field: str, ref: str) -> Path:
    """A bundled profile name (`us-west-example`) or a path to a CSV file."""
    bundled = BUNDLED_DIR / f"{ref}.csv"
    if not ref.endswith(".csv") and bundled.exists():
        return bundled
    path = Path(ref)
    if not path.exists():
        names = sorted(p.stem for p in BUNDLED_DIR.glob("*.csv"))
        raise ConfigError(field, f"profile file not found: {ref} (bundled profiles: {', '.join(names)})")
    return path


def read_profile(
    field: str,
    ref: str,
    required: tuple[str, ...],
    optional: tuple[str, ...] = (),
    minimum: float = 0.0,
    maximum: float = math.inf,
) -> HourlyProfile:
    """Read and validate a profile CSV (see the module docstring); `#` lines are comments.
    Every value must lie in [minimum, maximum].

    Rows in error messages are line numbers in the file (1 = first line).
    """
    path = resolve_profile_path(field, ref)
    try:
        with path.open(newline="", encoding="utf-8") as fh:
            reader = csv.reader(fh)
            rows = [(reader.line_num, r) for r in reader if r and not r[0].lstrip().startswith("#")]
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError(field, f"cannot read {path}: {exc}") from None
    if not rows:
        raise ConfigError(field, f"{path}: the file is empty")
    header_line, header_cells = rows[0]
    header = [h.strip() for h in header_cells]
    missing = [c for c in ("hour", *required) if c not in header]
    if missing:
        raise ConfigError(
            field, f"{path} row {header_line} (header): missing column(s) {', '.join(missing)}; has {header}"
        )
    wanted = [c for c in (*required, *optional) if c in header]
    values: dict[str, list[float]] = {c: [] for c in wanted}
    for k, (n, row) in enumerate(rows[1:]):
        if len(row) != len(header):
            raise ConfigError(field, f"{path} row {n}: {len(row)} fields, the header has {len(header)}")
        cells = dict(zip(header, (c.strip() for c in row), strict=True))
        hour = _number(field, path, n, "hour", cells["hour"])
        if hour != k:
            raise ConfigError(field, f"{path} row {n}, column 'hour': expected {k}, got {cells['hour']}")
        for c in wanted:
            x = _number(field, path, n, c, cells[c])
            if x < minimum:
                raise ConfigError(field, f"{path} row {n}, column '{c}': {x:g} is below {minimum:g}")
            if x > maximum:
                raise ConfigError(field, f"{path} row {n}, column '{c}': {x:g} is above {maximum:g}")
            values[c].append(x)
    if len(rows) < 2:
        raise ConfigError(field, f"{path}: no data rows after the header")
    return HourlyProfile(source=str(path), columns={c: np.array(v, dtype=float) for c, v in values.items()})


def _number(field: str, path: Path, row: int, column: str, text: str) -> float:
    try:
        x = float(text)
    except ValueError:
        raise ConfigError(field, f"{path} row {row}, column '{column}': not a number: {text!r}") from None
    if not math.isfinite(x):
        raise ConfigError(field, f"{path} row {row}, column '{column}': not a finite number: {text!r}")
    return x
