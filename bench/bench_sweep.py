"""Sweep benchmark: per-run overhead beyond the simulation, and runs/s at 1 and 2 workers and on Ray.

    python bench/bench_sweep.py [--runs 1000] [--no-ray]

Writes a section into bench/RESULTS.md (between markers, replacing an older one).
"""

from __future__ import annotations

import argparse
import platform
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import yaml
from results_md import update_section

from simcompute.sweep import LocalExecutor, RayExecutor, SweepSpec, run_sweep

ROOT = Path(__file__).resolve().parents[1]


def _spec(runs: int) -> SweepSpec:
    pues = [round(float(x), 6) for x in np.linspace(1.05, 1.6, runs)]
    return SweepSpec(name="bench", base={}, parameters={"site.pue": pues})


def _timed(runs: int, executor, base) -> tuple[float, float]:
    with tempfile.TemporaryDirectory() as tmp:
        t0 = time.perf_counter()
        rows = run_sweep(_spec(runs), base, tmp, executor)
        wall = time.perf_counter() - t0
    assert (rows["status"] == "ok").all()
    return wall, float(rows["elapsed_s"].sum())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=1000)
    parser.add_argument("--no-ray", action="store_true")
    args = parser.parse_args()
    base = yaml.safe_load((ROOT / "scenarios" / "quickstart.yaml").read_text())
    _timed(5, LocalExecutor(jobs=1), base)  # warm-up: imports, catalog cache

    lines = []
    wall, sim = _timed(args.runs, LocalExecutor(jobs=1), base)
    overhead_ms = (wall - sim) / args.runs * 1000
    lines.append(
        f"| local, 1 worker (in-process) | {args.runs} | {wall:.1f} | {args.runs / wall:.1f} | {sim / args.runs * 1000:.1f} | {overhead_ms:.1f} |"
    )
    print(lines[-1])
    wall2, sim2 = _timed(args.runs, LocalExecutor(jobs=2), base)
    lines.append(
        f"| local, 2 workers (process pool) | {args.runs} | {wall2:.1f} | {args.runs / wall2:.1f} | {sim2 / args.runs * 1000:.1f} | {(wall2 * 2 - sim2) / args.runs * 1000:.1f} |"
    )
    print(lines[-1])
    if not args.no_ray:
        import ray

        t0 = time.perf_counter()
        ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
        start_s = time.perf_counter() - t0
        try:
            wall3, sim3 = _timed(args.runs, RayExecutor(), base)
        finally:
            ray.shutdown()
        lines.append(
            f"| Ray, local instance with 2 CPUs (start {start_s:.1f} s not included) | {args.runs} | {wall3:.1f} | {args.runs / wall3:.1f} | {sim3 / args.runs * 1000:.1f} | {(wall3 * 2 - sim3) / args.runs * 1000:.1f} |"
        )
        print(lines[-1])

    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    body = "\n".join(
        [
            "## Sweeps (`bench/bench_sweep.py`)",
            "",
            f"Measured {stamp} on {platform.machine()} ({platform.python_version()}), 2 cores: a grid sweep of "
            "`scenarios/quickstart.yaml` over `site.pue`, each row written to Parquet as it finishes. "
            "Overhead per run = (wall x workers - simulation time) / runs: everything that is not `simcompute.run` "
            "(expansion, pickling, the Parquet write, progress).",
            "",
            "| executor | runs | wall (s) | runs/s | simulation per run (ms) | overhead per run (ms) |",
            "|---|---:|---:|---:|---:|---:|",
            *lines,
        ]
    )
    print(f"wrote {update_section('bench_sweep', body)}")


if __name__ == "__main__":
    main()
