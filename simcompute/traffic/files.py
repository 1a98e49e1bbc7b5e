"""Reading numeric columns from CSV/Parquet files; every problem names the file, row and column."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simcompute.config.inputs import MAX_TRACE_ROWS, check_file
from simcompute.errors import ConfigError, one_line, show


def read_table(path: str, field: str) -> pd.DataFrame:
    """A CSV or Parquet file as a DataFrame of strings/values; `field` is the YAML path for errors.

    The file must be a regular file within `inputs.MAX_TABLE_BYTES` and `inputs.MAX_TRACE_ROWS` rows.
    """
    file = check_file(path, "file", field)
    parquet = file.suffix.lower() in (".parquet", ".pq")
    try:
        if parquet:
            frame = pd.read_parquet(file)
        else:
            frame = pd.read_csv(file, dtype=str, keep_default_na=False, skipinitialspace=True,
                                nrows=MAX_TRACE_ROWS + 1)  # fmt: skip
    except Exception as exc:  # pandas/pyarrow raise many types for unreadable files
        reason = one_line(str(exc), 80)
        raise ConfigError(
            field, f"{show(path, 80)}: cannot read as {'Parquet' if parquet else 'CSV'}: {reason}"
        ) from None
    if len(frame) > MAX_TRACE_ROWS:
        raise ConfigError(
            field, f"{show(path, 80)}: more than {MAX_TRACE_ROWS:,} rows; at most that many are simulated"
        )
    return frame


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
        what = (
            "empty cell" if cell is None or str(cell).strip() == "" else f"not a finite number ({show(cell)})"
        )
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
