"""Reading numeric columns from CSV/Parquet files; every problem names the file, row and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simcompute.errors import ConfigError


def read_table(path: str, field: str) -> pd.DataFrame:
    """A CSV or Parquet file as a DataFrame of strings/values; `field` is the YAML path for errors."""
    file = Path(path)
    if not file.exists():
        raise ConfigError(field, f"file not found: {path}")
    try:
        if file.suffix.lower() in (".parquet", ".pq"):
            return pd.read_parquet(file)
        return pd.read_csv(file, dtype=str, keep_default_na=False, skipinitialspace=True)
    except Exception as exc:  # pandas/pyarrow raise many types for unreadable files
        raise ConfigError(
            field, f"{path}: cannot read as {'Parquet' if file.suffix else 'CSV'}: {exc}"
        ) from None


def _row_label(path: str, i: int) -> str:
    """Data row `i` (0-based) as the user sees it: 1-based, with the CSV line number."""
    if Path(path).suffix.lower() in (".parquet", ".pq"):
        return f"row {i + 1}"
    return f"row {i + 1} (line {i + 2})"


def numeric_column(frame: pd.DataFrame, column: str, path: str, field: str) -> np.ndarray:
    """Column `column` as float64; a missing column, empty or non-numeric cell is an error."""
    if column not in frame.columns:
        have = ", ".join(map(str, frame.columns)) or "none"
        raise ConfigError(field, f"{path}: missing column '{column}' (columns: {have})")
    raw = frame[column]
    values = pd.to_numeric(raw, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if bad.any():
        i = int(np.argmax(bad))
        cell = raw.iloc[i]
        what = "empty cell" if cell is None or str(cell).strip() == "" else f"not a finite number ({cell!r})"
        raise ConfigError(field, f"{path}: {_row_label(path, i)}, column '{column}': {what}")
    return values


def check_rows(
    values: np.ndarray, mask: np.ndarray, path: str, column: str, field: str, message: str
) -> None:
    """Error at the first row where `mask` is true."""
    if mask.any():
        i = int(np.argmax(mask))
        raise ConfigError(
            field, f"{path}: {_row_label(path, i)}, column '{column}': {message} (got {values[i]:g})"
        )
