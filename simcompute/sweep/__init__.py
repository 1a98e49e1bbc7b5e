"""Sweeps: many what-if runs of one base scenario, persisted as they finish.

spec, base = load_sweep("sweeps/regions.yaml")
rows = run_sweep(spec, base, "runs/regions", LocalExecutor(jobs=2))
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from simcompute.errors import SimcomputeError
from simcompute.sweep.design import RunSpec, expand
from simcompute.sweep.executors import Executor, LocalExecutor, RayExecutor, Task
from simcompute.sweep.paths import get_path, parse_path, set_path
from simcompute.sweep.runner import PARAM_PREFIX, flatten_summary, run_point
from simcompute.sweep.spec import SweepSpec, load_sweep
from simcompute.sweep.store import SweepStore


class SweepInterrupted(SimcomputeError):
    """The sweep was stopped (Ctrl-C); every finished row is on disk."""


@dataclass
class Progress:
    """Counters a progress display reads."""

    total: int
    done: int = 0
    failed: int = 0
    skipped: int = 0


def run_sweep(
    spec: SweepSpec,
    base: dict[str, Any],
    out_dir: str | Path,
    executor: Executor | None = None,
    **options: Any,
) -> pd.DataFrame:
    """Expand the sweep and run every point not yet on disk; see `run_points`."""
    return run_points(expand(spec, base), out_dir, executor, manifest={"sweep": spec.model_dump()}, **options)


def run_points(
    runs: list[RunSpec],
    out_dir: str | Path,
    executor: Executor | None = None,
    *,
    manifest: dict[str, Any] | None = None,
    resume: bool = False,
    retry_failed: bool = False,
    on_progress: Callable[[Progress], None] | None = None,
    point_fn: Callable[..., dict[str, Any]] = run_point,
) -> pd.DataFrame:
    """Run the points not yet on disk, persisting each row as it finishes; return all rows.

    Without `resume`, an output folder that already holds results is refused. With it,
    points whose row exists are skipped (failed ones too, unless `retry_failed`).
    """
    store = SweepStore(out_dir)
    if store.has_results() and not resume:
        raise SimcomputeError(f"{out_dir} already holds sweep results; use --resume to continue it")
    store.prepare({**(manifest or {}), "runs": len(runs), "created_unix_s": time.time()})
    finished = store.finished_ids(include_failed=not retry_failed) if resume else set()
    todo = [r for r in runs if r.run_id not in finished]
    progress = Progress(total=len(runs), skipped=len(runs) - len(todo), done=len(runs) - len(todo))
    report = on_progress or (lambda _p: None)
    report(progress)

    def on_result(row: dict[str, Any]) -> None:
        store.write(row)
        progress.done += 1
        progress.failed += row["status"] != "ok"
        report(progress)

    by_id = {r.run_id: r for r in todo}

    def on_error(task: Task, message: str) -> None:
        run = by_id[task[0]]
        row = {
            "run_id": run.run_id,
            "index": run.index,
            "status": "failed",
            "error": message,
            "elapsed_s": float("nan"),
        }
        row.update({PARAM_PREFIX + k: v for k, v in run.params.items()})
        on_result(row)

    tasks = [(r.run_id, r.index, r.params, r.scenario) for r in todo]
    try:
        (executor or LocalExecutor()).run(point_fn, tasks, on_result, on_error)
    except KeyboardInterrupt:
        raise SweepInterrupted(
            f"interrupted after {progress.done} of {progress.total} runs; the finished rows are in "
            f"{out_dir}; rerun with --resume to finish"
        ) from None
    return store.consolidate()


__all__ = [
    "Executor",
    "LocalExecutor",
    "Progress",
    "RayExecutor",
    "RunSpec",
    "SweepInterrupted",
    "SweepSpec",
    "SweepStore",
    "expand",
    "flatten_summary",
    "get_path",
    "load_sweep",
    "parse_path",
    "run_point",
    "run_points",
    "run_sweep",
    "set_path",
]
