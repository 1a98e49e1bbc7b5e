"""Flat record rows appended while a simulation runs, turned into DataFrames afterwards.

Rows are plain tuples in column order (cheap to append in hot loops); the column names live
next to them here, in one place.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

POWER_COLUMNS = ("owner", "t_start_s", "t_end_s", "gpus", "gpu_power_w", "host_power_w", "network_power_w")
EVENT_COLUMNS = ("t_s", "workload", "event", "gpus", "detail")


@dataclass
class Records:
    """Everything a run produced, before aggregation."""

    owners: list[str] = field(default_factory=list)
    power: list[tuple[Any, ...]] = field(default_factory=list)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    end_s: float = 0.0
    cluster: dict[str, Any] = field(default_factory=dict)

    def event(self, t_s: float, workload: str, event: str, gpus: int = 0, detail: str = "") -> None:
        self.events.append((t_s, workload, event, gpus, detail))

    def power_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.power, columns=list(POWER_COLUMNS))
        frame["owner"] = (
            pd.Categorical.from_codes(frame["owner"].astype(int), categories=self.owners)
            if len(frame)
            else []
        )
        return frame

    def events_frame(self) -> pd.DataFrame:
        frame = pd.DataFrame(self.events, columns=list(EVENT_COLUMNS))
        return frame.sort_values("t_s", kind="stable").reset_index(drop=True)
