"""Where sweep points run: in-process, a local process pool, or a Ray cluster.

Each executor calls `on_result(row)` in the main process as soon as a point finishes (the
caller persists it), and `on_error(task, message)` for a point whose worker died.
"""

from __future__ import annotations

import multiprocessing as mp
import os
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from typing import Any, Protocol

Task = tuple[Any, ...]
OnResult = Callable[[dict[str, Any]], None]
OnError = Callable[[Task, str], None]

MAX_POOL_RESTARTS = 3


class Executor(Protocol):
    def run(
        self, fn: Callable[..., dict[str, Any]], tasks: Sequence[Task], on_result: OnResult, on_error: OnError
    ) -> None: ...


class LocalExecutor:
    """A process pool on this machine (`jobs` workers; 1 runs in-process, no pool)."""

    def __init__(self, jobs: int | None = None):
        self.jobs = max(1, jobs or os.cpu_count() or 1)

    def run(
        self, fn: Callable[..., dict[str, Any]], tasks: Sequence[Task], on_result: OnResult, on_error: OnError
    ) -> None:
        if self.jobs == 1:
            for task in tasks:
                on_result(fn(*task))
            return
        ctx = mp.get_context("forkserver")
        ctx.set_forkserver_preload(["simcompute.api"])
        pending = list(tasks)
        for _attempt in range(MAX_POOL_RESTARTS + 1):
            pending = self._run_pool(ctx, fn, pending, on_result)
            if not pending:
                return
        for task in pending:
            on_error(task, f"worker process died {MAX_POOL_RESTARTS + 1} times while this point was running")

    def _run_pool(
        self, ctx: Any, fn: Callable[..., dict[str, Any]], tasks: list[Task], on_result: OnResult
    ) -> list[Task]:
        """Run `tasks`; return the ones left unfinished if a worker died."""
        pool = ProcessPoolExecutor(max_workers=self.jobs, mp_context=ctx)
        futures: dict[Future, Task] = {pool.submit(fn, *task): task for task in tasks}
        handled: set[Future] = set()
        try:
            for future in as_completed(futures):
                on_result(future.result())
                handled.add(future)
        except BrokenProcessPool:
            left = []
            for future, task in futures.items():
                if future in handled:
                    continue
                if future.done() and not future.cancelled() and future.exception() is None:
                    on_result(future.result())
                else:
                    left.append(task)
            pool.shutdown(wait=True, cancel_futures=True)
            return left
        except BaseException:
            pool.shutdown(wait=False, cancel_futures=True)
            raise
        pool.shutdown(wait=True)
        return []


class RayExecutor:
    """Ray tasks, on a running cluster (`address`) or a local instance started for the sweep."""

    def __init__(self, address: str | None = None, jobs: int | None = None):
        self.address = address
        self.jobs = jobs

    def run(
        self, fn: Callable[..., dict[str, Any]], tasks: Sequence[Task], on_result: OnResult, on_error: OnError
    ) -> None:
        try:
            import ray
        except ImportError:
            from simcompute.errors import SimcomputeError

            raise SimcomputeError("the Ray backend needs Ray: pip install -e '.[ray]'") from None
        started_here = not ray.is_initialized()
        if started_here:
            ray.init(
                address=self.address,
                num_cpus=None if self.address else self.jobs,
                include_dashboard=False,
                log_to_driver=False,
                configure_logging=False,
            )
        try:
            remote = ray.remote(num_cpus=1, max_retries=MAX_POOL_RESTARTS)(fn)
            refs = {remote.remote(*task): task for task in tasks}
            while refs:
                ready, _ = ray.wait(list(refs), num_returns=1)
                for ref in ready:
                    task = refs.pop(ref)
                    try:
                        on_result(ray.get(ref))
                    except ray.exceptions.RayError as exc:
                        on_error(task, f"Ray task failed: {type(exc).__name__}")
        finally:
            if started_here:
                ray.shutdown()
