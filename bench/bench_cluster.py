"""Cluster-operations benchmark: a year of a 100,000-GPU cluster with 10,000 jobs and failures.

The job mix follows the shape of public cluster traces (Philly, Helios: most jobs small, a
heavy tail of large ones; log-normal run times; Poisson arrivals), drawn from a fixed seed and
sized so the cluster is busy but not saturated. Writes its section of bench/RESULTS.md.
Run: `python bench/bench_cluster.py` (from the repository root).
"""

from __future__ import annotations

import argparse
import platform
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import simcompute as sc  # noqa: E402

NODES = 12_500  # x 8 GPUs = 100,000
JOBS = 10_000
YEAR_S = 365 * 86400.0
SIZES = np.array([8, 64, 512, 4096, 16384])
SIZE_SHARE = np.array([0.40, 0.30, 0.20, 0.09, 0.01])
MODELS = {8: "llama-7b", 64: "llama-2-7b", 512: "llama-2-70b", 4096: "llama-3-70b", 16384: "llama-3-405b"}
MEAN_RUN_H = 60.0
SECTION = "## Cluster operations (bench/bench_cluster.py)"


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--policies", nargs="+", default=["fifo", "easy", "priority"])
    parser.add_argument("--out", default=str(ROOT / "bench" / "RESULTS.md"))
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        trace = Path(tmp) / "jobs.csv"
        make_trace(trace)
        sc.run(scenario(trace, "fifo") | {"horizon": "1d"})  # warm-up: imports, catalog
        for policy in args.policies:
            t0, c0 = time.perf_counter(), time.process_time()
            result = sc.run(scenario(trace, policy))
            wall, cpu = time.perf_counter() - t0, time.process_time() - c0
            c = result.cluster.iloc[0]
            rows.append((policy, wall, cpu, len(result.events), c))
            print(f"{policy:9s} {wall:6.2f} s wall  {cpu:6.2f} s CPU  events {len(result.events):7d}  completed {int(c['jobs_completed'])}  "
                  f"util {c['utilization']:.3f}  node failures {int(c['node_failures'])}  "
                  f"interruptions {int(c['job_interruptions'])}  preemptions {int(c['preemptions'])}")  # fmt: skip
    if args.no_write:
        return
    lines = [
        SECTION,
        "",
        f"Measured with `python bench/bench_cluster.py` on {platform.machine()}, Python "
        f"{platform.python_version()}, one core: {NODES * 8:,} GPUs ({NODES:,} DGX H100 nodes), {JOBS:,} jobs "
        "(8/64/512/4,096/16,384 GPUs in 40/30/20/9/1%, log-normal run times with mean "
        f"{MEAN_RUN_H:.0f} h, Poisson arrivals over 0.9 years), one simulated year, GPU failures at the "
        "Llama 3 rate, node and rack failures, 2 h checkpoints written at 100 GB/s. Wall time covers "
        "`simcompute.run` (load, resolve, simulate, aggregate); CPU time is the process's own (the "
        "machine was shared with other jobs, so wall time runs above it); target < 10 s.",
        "",
        "| policy | wall time (s) | CPU time (s) | event rows | jobs completed | utilization | node failures | job interruptions | preemptions |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]  # fmt: skip
    for policy, wall, cpu, events, c in rows:
        lines.append(
            f"| {policy} | {wall:.2f} | {cpu:.2f} | {events} | {int(c['jobs_completed'])} | {c['utilization']:.3f} | "
            f"{int(c['node_failures'])} | {int(c['job_interruptions'])} | {int(c['preemptions'])} |"
        )
    out = Path(args.out)
    text = out.read_text() if out.exists() else "# Benchmark results\n"
    head = text.split(SECTION)[0].rstrip() + "\n\n"
    out.write_text(head + "\n".join(lines) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main()
