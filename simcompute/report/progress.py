"""A progress bar for sweeps: runs done, failed, rate and time left (rich)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)

from simcompute.report.tables import make_console


@contextmanager
def sweep_progress(description: str, enabled: bool = True) -> Iterator[Callable[..., None]]:
    """Yields `update(progress)` for `simcompute.sweep.Progress` counters."""
    bar = Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("failed {task.fields[failed]}"),
        TextColumn("{task.fields[rate]}"),
        TimeElapsedColumn(),
        TextColumn("left"),
        TimeRemainingColumn(),
        console=make_console(),
        disable=not enabled,
        transient=False,
    )
    task = bar.add_task(description, total=None, failed=0, rate="")
    state = {"first_done": None}

    def update(p) -> None:
        if state["first_done"] is None:
            state["first_done"] = p.done
            bar.reset(task, total=p.total, completed=p.done)
        elapsed = bar.tasks[0].elapsed or 0.0
        ran = p.done - state["first_done"]
        rate = f"{ran / elapsed:.1f} runs/s" if elapsed > 0 and ran else ""
        bar.update(task, completed=p.done, failed=p.failed, rate=rate)

    with bar:
        yield update
