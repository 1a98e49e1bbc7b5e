"""The sweep's Parquet dataset: one file per finished run, written atomically.

A run's row is on disk the moment it finishes, so an interrupted sweep (Ctrl-C, a killed
worker, a crash) keeps every finished row, and `--resume` runs only what is missing.
"""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

PARTS = "parts"


class SweepStore:
    """A folder holding `parts/<run_id>.parquet` (one row each) and `manifest.json`."""

    def __init__(self, root: str | Path):
        self.root = Path(root)
        self.parts = self.root / PARTS

    def prepare(self, manifest: dict[str, Any]) -> None:
        self.parts.mkdir(parents=True, exist_ok=True)
        (self.root / "manifest.json").write_text(json.dumps(manifest, indent=2, default=str) + "\n")

    def has_results(self) -> bool:
        return self.parts.is_dir() and any(self.parts.glob("*.parquet"))

    def write(self, row: dict[str, Any]) -> None:
        """Persist one run's row (temp file + rename: a reader never sees half a file)."""
        path = self.parts / f"{row['run_id']}.parquet"
        tmp = path.with_suffix(".tmp")
        pq.write_table(pa.Table.from_pylist([row]), tmp)
        os.replace(tmp, path)

    def load(self) -> pd.DataFrame:
        """All rows written so far, in run order."""
        files = sorted(self.parts.glob("*.parquet")) if self.parts.is_dir() else []
        if not files:
            return pd.DataFrame()
        rows = [row for f in files for row in pq.read_table(f).to_pylist()]
        frame = pd.DataFrame(rows)  # failed rows lack the summary columns: NaN there
        return frame.sort_values("index", kind="stable").reset_index(drop=True)

    def finished_ids(self, include_failed: bool = True) -> set[str]:
        """Run ids with a row on disk (optionally only the successful ones)."""
        frame = self.load()
        if frame.empty:
            return set()
        if not include_failed:
            frame = frame[frame["status"] == "ok"]
        return set(frame["run_id"])

    def consolidate(self) -> pd.DataFrame:
        """Write `sweep.parquet` and `sweep.csv` with every row; return them."""
        frame = self.load()
        frame.to_parquet(self.root / "sweep.parquet", index=False)
        frame.to_csv(self.root / "sweep.csv", index=False)
        return frame
