"""Cluster-operations benchmark: a year of a 100,000-GPU cluster with 10,000 jobs and failures.

The job mix follows the shape of public cluster traces (Philly, Helios: most jobs small, a
heavy tail of large ones; log-normal run times; Poisson arrivals), drawn from a fixed seed and
sized so the cluster is busy but not saturated. Times each stage of `simcompute.run` (load and
resolve, simulate, result tables) in CPU and wall time. Writes its section of bench/RESULTS.md
(between markers, replacing an older one; nothing else in the file changes).
Run: `python bench/bench_cluster.py` (from the repository root).
"""

from __future__ import annotations

import argparse
import itertools
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from results_md import update_section  # noqa: E402

import simcompute as sc  # noqa: E402
from simcompute.config import load_scenario  # noqa: E402
from simcompute.engine import simulate  # noqa: E402
from simcompute.resolve import resolve  # noqa: E402
from simcompute.results import build_result  # noqa: E402

NODES = 12_500  # x 8 GPUs = 100,000
JOBS = 10_000
YEAR_S = 365 * 86400.0
SIZES = np.array([8, 64, 512, 4096, 16384])
SIZE_SHARE = np.array([0.40, 0.30, 0.20, 0.09, 0.01])
MODELS = {8: "llama-7b", 64: "llama-2-7b", 512: "llama-2-70b", 4096: "llama-3-70b", 16384: "llama-3-405b"}
MEAN_RUN_H = 60.0


def make_trace(path: Path, seed: int = 0) -> None:
    rng = np.random.default_rng(seed)
    gpus = rng.choice(SIZES, size=JOBS, p=SIZE_SHARE)
    submit = np.sort(rng.uniform(0, 0.9 * YEAR_S, JOBS))
    sigma = 1.0
    duration = rng.lognormal(np.log(MEAN_RUN_H * 3600) - sigma**2 / 2, sigma, JOBS)
    frame = pd.DataFrame(
        {
            "name": [f"job{i:05d}" for i in range(JOBS)],
            "submit_s": submit.round(1),
            "gpus": gpus,
            "model": [MODELS[g] for g in gpus],
            "duration_s": duration.round(1),
            "priority": rng.integers(0, 3, JOBS),
        }
    )
    frame.to_csv(path, index=False)


def scenario(trace: Path, policy: str) -> dict:
    return {
        "name": "bench-cluster",
        "seed": 1,
        "horizon": "365d",
        "limits": {"max_events": 2e6},  # above the default work limit on purpose: a year of 100,000 GPUs
        "site": {"region": "us-west", "pue": 1.2},
        "cluster": {"node": "dgx-h100", "nodes": NODES, "fabric": "ib-ndr-400"},
        "failures": {
            "gpu_mtbf_h": 54 * 24 * 16384 / 419,  # Llama 3 rate (Dubey et al. 2024, Sec. 3.3.4)
            "node_mtbf_h": 500_000,
            "repair_time": "24h",
            "restart_overhead": "10m",
            "correlated": {"nodes": 32, "mtbf_h": 100_000, "repair_time": "12h"},
        },
        "scheduling": {
            "policy": policy,
            "storage_bandwidth_gbps": 100,
            "jobs": {"path": str(trace), "checkpoint_every": "2h"},
        },
    }


def timed_run(scenario_dict: dict):
    """`simcompute.run` in its stages; returns the result and (CPU s, wall s) per stage."""
    marks = [(time.process_time(), time.perf_counter())]
    resolved = resolve(load_scenario(scenario_dict))
    marks.append((time.process_time(), time.perf_counter()))
    records = simulate(resolved)
    marks.append((time.process_time(), time.perf_counter()))
    result = build_result(resolved, records)
    marks.append((time.process_time(), time.perf_counter()))
    stages = [(c1 - c0, w1 - w0) for (c0, w0), (c1, w1) in itertools.pairwise(marks)]
    return result, stages


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--policies", nargs="+", default=["fifo", "easy", "priority"])
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "jobs.csv"
        make_trace(trace)
        sc.run(scenario(trace, "fifo") | {"horizon": "1d"})  # warm-up: imports, catalog
        for policy in args.policies:
            result, stages = timed_run(scenario(trace, policy))
            cpu, wall = (sum(s[i] for s in stages) for i in (0, 1))
            c = result.cluster.iloc[0]
            rows.append((policy, wall, cpu, [s[0] for s in stages], len(result.events), c))
            print(f"{policy:9s} {wall:6.2f} s wall  {cpu:6.2f} s CPU (resolve {stages[0][0]:.2f}, simulate "
                  f"{stages[1][0]:.2f}, tables {stages[2][0]:.2f})  events {len(result.events):7d}  "
                  f"completed {int(c['jobs_completed'])}  util {c['utilization']:.3f}  node failures "
                  f"{int(c['node_failures'])}  interruptions {int(c['job_interruptions'])}  "
                  f"preemptions {int(c['preemptions'])}")  # fmt: skip
    if args.no_write:
        return
    lines = [
        "## Cluster operations (`bench/bench_cluster.py`)",
        "",
        f"Measured {datetime.now(timezone.utc):%Y-%m-%d %H:%M UTC} with `python bench/bench_cluster.py` on {platform.machine()}, Python "
        f"{platform.python_version()}, one core: {NODES * 8:,} GPUs ({NODES:,} DGX H100 nodes), {JOBS:,} jobs "
        "(8/64/512/4,096/16,384 GPUs in 40/30/20/9/1%, log-normal run times with mean "
        f"{MEAN_RUN_H:.0f} h, Poisson arrivals over 0.9 years), one simulated year, GPU failures at the "
        "Llama 3 rate, node and rack failures, 2 h checkpoints written at 100 GB/s. Wall time covers "
        "`simcompute.run` (load, resolve, simulate, aggregate); CPU time is the process's own (the "
        "machine was shared with other jobs, so wall time runs above it); target < 10 s. CPU time by "
        "stage: load + resolve, simulate, result tables (`build_result`).",
        "",
        "| policy | wall time (s) | CPU time (s) | CPU: resolve / simulate / tables (s) | event rows | jobs completed | utilization | node failures | job interruptions | preemptions |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for policy, wall, cpu, stage_cpu, events, c in rows:
        lines.append(
            f"| {policy} | {wall:.2f} | {cpu:.2f} | {' / '.join(f'{x:.2f}' for x in stage_cpu)} | {events} | "
            f"{int(c['jobs_completed'])} | {c['utilization']:.3f} | {int(c['node_failures'])} | "
            f"{int(c['job_interruptions'])} | {int(c['preemptions'])} |"
        )
    print(f"wrote {update_section('bench_cluster', chr(10).join(lines))}")


if __name__ == "__main__":
    main()
