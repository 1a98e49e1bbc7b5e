"""Flat record rows appended while a simulation runs, turned into DataFrames afterwards.

Rows are plain tuples in column order (cheap to append in hot loops); the column names live
next to them here, in one place. Periodic event rows (a job's checkpoints) come as column
blocks, written in one call.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

POWER_COLUMNS = ("owner", "t_start_s", "t_end_s", "gpus", "gpu_power_w", "host_power_w", "network_power_w")
EVENT_COLUMNS = ("t_s", "workload", "event", "gpus", "detail")


class PowerSegments:
    """Power segments stored as growable numpy columns (48 bytes a segment, not a tuple each).

    `append(row)` takes one row in `POWER_COLUMNS` order; `extend` takes whole columns, for
    services that write many segments at once.
    """

    _DTYPES = (np.int32, np.float64, np.float64, np.int32, np.float64, np.float64, np.float64)

    def __init__(self, capacity: int = 1024):
        self._cols = [np.empty(capacity, dtype=d) for d in self._DTYPES]
        self._n = 0

    def __len__(self) -> int:
        return self._n

    def _grow(self, extra: int) -> None:
        need = self._n + extra
        if need > len(self._cols[0]):
            # doubling, or an eighth of slack above a large block (a service's segments) so the
            # few segments closed after it do not copy every column again
            size = max(need + need // 8, 2 * len(self._cols[0]))
            for i, col in enumerate(self._cols):
                grown = np.empty(size, dtype=col.dtype)
                grown[: self._n] = col[: self._n]
                self._cols[i] = grown

    def append(self, row: tuple[Any, ...]) -> None:
        self._grow(1)
        for col, value in zip(self._cols, row):
            col[self._n] = value
        self._n += 1

    def extend(self, owner: int, t_start: np.ndarray, t_end: np.ndarray, gpus: np.ndarray | int,
               gpu_w: np.ndarray, host_w: np.ndarray, network_w: np.ndarray,
               which: np.ndarray | None = None) -> None:  # fmt: skip
        """Add many segments of one owner (power columns are each segment's total watts).

        With `which`, the power columns are levels and segment i draws level `which[i]`
        (gathered straight into the columns, no per-segment temporaries).
        """
        m = len(t_start)
        self._grow(m)
        sl = slice(self._n, self._n + m)
        cols = self._cols
        for col, values in zip(cols[:4], (owner, t_start, t_end, gpus)):
            col[sl] = values
        for col, values in zip(cols[4:], (gpu_w, host_w, network_w)):
            if which is None:
                col[sl] = values
            else:
                # mode="clip": `which` holds valid levels; the default mode buffers `out` (a copy)
                np.take(np.asarray(values, dtype=col.dtype), which, out=col[sl], mode="clip")
        self._n += m

    def columns(self) -> dict[str, np.ndarray]:
        return {name: col[: self._n] for name, col in zip(POWER_COLUMNS, self._cols)}


@dataclass
class Records:
    """Everything a run produced, before aggregation."""

    owners: list[str] = field(default_factory=list)
    power: PowerSegments = field(default_factory=PowerSegments)
    events: list[tuple[Any, ...]] = field(default_factory=list)
    # (rows before it, t_s, workload, event, gpus, detail key, detail values)
    event_blocks: list[tuple[int, np.ndarray, str, str, int, str, np.ndarray]] = field(default_factory=list)
    jobs: list[dict[str, Any]] = field(default_factory=list)
    requests: dict[str, dict[str, np.ndarray]] = field(default_factory=dict)  # per inference workload
    end_s: float = 0.0
    cluster: dict[str, Any] = field(default_factory=dict)

    def event(self, t_s: float, workload: str, event: str, gpus: int = 0, detail: str = "") -> None:
        self.events.append((t_s, workload, event, gpus, detail))

    def event_block(
        self, t_s: np.ndarray, workload: str, event: str, gpus: int, key: str, values: np.ndarray
    ) -> None:
        """Rows at times `t_s` of one workload and event, row i's detail `key=values[i]` (%.6g):
        the same rows as `event` calls one by one, in one call (a -0.0 value may print as 0)."""
        self.event_blocks.append((len(self.events), t_s, workload, event, gpus, key, values))

    def power_frame(self) -> pd.DataFrame:
        cols = self.power.columns()
        # views on the segment columns, not a copy (pandas copy-on-write keeps them unchanged)
        frame = pd.DataFrame(
            {k: v for k, v in cols.items() if k != "owner"}, columns=list(POWER_COLUMNS[1:]), copy=False
        )
        frame.insert(0, "owner", pd.Categorical.from_codes(cols["owner"].astype(int), categories=self.owners))
        return frame

    def events_frame(self) -> pd.DataFrame:
        """Events in time order; rows at the same time keep the order they were written in."""
        blocks = self.event_blocks
        if not blocks:
            frame = pd.DataFrame(self.events, columns=list(EVENT_COLUMNS))
            return frame.sort_values("t_s", kind="stable").reset_index(drop=True)
        n = len(self.events)
        rows = list(zip(*self.events)) if n else [(), (), (), (), ()]
        at, t_s, workload, event, gpus, key, values = zip(*blocks)
        sizes = np.array([len(t) for t in t_s])
        # Write order: row i of `events` is 2i + 1; a block written after k rows is 2k.
        order = np.concatenate([np.arange(1, 2 * n, 2), np.repeat(2 * np.array(at), sizes)])
        t = np.concatenate([np.array(rows[0], dtype=float), *t_s])
        rank = np.lexsort((order, t))
        # Details: each distinct (key, value) formatted once (checkpoints repeat the same
        # progress values).
        names, codes = np.unique(np.array(key, dtype=object), return_inverse=True)
        codes, numbers = np.repeat(codes, sizes), np.concatenate(values)
        details = np.empty(len(numbers), dtype=object)
        for code, name in enumerate(names.tolist()):
            rows_k = codes == code
            uniques, inverse = np.unique(numbers[rows_k], return_inverse=True)
            details[rows_k] = np.array([f"{name}={v:.6g}" for v in uniques.tolist()], dtype=object)[inverse]
        columns = (
            t,
            _objects(rows[1], np.repeat(np.array(workload, dtype=object), sizes)),
            _objects(rows[2], np.repeat(np.array(event, dtype=object), sizes)),
            np.concatenate(
                [np.array(rows[3], dtype=np.int64), np.repeat(np.array(gpus, dtype=np.int64), sizes)]
            ),
            _objects(rows[4], details),
        )
        return pd.DataFrame({name: col[rank] for name, col in zip(EVENT_COLUMNS, columns)})


def _objects(head: tuple[Any, ...], tail: np.ndarray) -> np.ndarray:
    """The values of `head`, then `tail`, as one object array."""
    out = np.empty(len(head) + len(tail), dtype=object)
    out[: len(head)] = head
    out[len(head) :] = tail
    return out
