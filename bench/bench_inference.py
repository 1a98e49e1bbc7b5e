"""Benchmark of the inference engine: requests simulated per second and peak memory.

Workload (issue 4): Llama-2-7B on one A100-80GB replica, Poisson 2 req/s, 512 prompt / 128
output tokens, continuous batching (the batch changes at every arrival and completion).
Each size runs in a fresh process: wall and CPU time of `simcompute.run` (load, resolve,
generate traffic, simulate, aggregate the result tables) and of the replica simulation
alone, and the process's peak resident memory. Writes its table into bench/RESULTS.md between
its markers only (the section's hand-written reading stays); appends a `## Inference` section
with the markers if there is none. Run: `python bench/bench_inference.py [--sizes 1e4 1e5 1e6]`.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
from datetime import datetime, timezone
from pathlib import Path

from results_md import update_section

ROOT = Path(__file__).resolve().parents[1]

CHILD = r"""
import json, resource, sys, time
import numpy as np
import simcompute as sc
from simcompute.config import load_scenario
from simcompute.engine.inference import ServiceRun
from simcompute.resolve import resolve
from simcompute.traffic import generate_requests

n = int(float(sys.argv[1]))
scenario = {"name": "bench", "seed": 1, "limits": {"max_requests": n}, "site": {"region": "us-west", "pue": 1.2},
            "cluster": {"node": "dgx-a100-80gb", "nodes": 1},
            "workloads": [{"kind": "inference", "name": "chat", "model": "llama-2-7b",
                           "arrivals": {"kind": "poisson", "rate_per_s": 2}, "prompt_tokens": 512,
                           "output_tokens": 128, "requests": n}]}
resolved = resolve(load_scenario(scenario))
spec = resolved.services[0]
reqs = generate_requests(spec.config, np.random.default_rng(1), "w")
w0, c0 = time.perf_counter(), time.process_time()
run = ServiceRun(spec, resolved.cluster.slot_power, reqs)
run.run_to_end()
sim_wall, sim_cpu = time.perf_counter() - w0, time.process_time() - c0
segments = sum(len(r.segments) for r in run.replicas)
del run
w0, c0 = time.perf_counter(), time.process_time()
result = sc.run(scenario)
wall, cpu = time.perf_counter() - w0, time.process_time() - c0
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
row = result.summary.iloc[0]
print(json.dumps({"requests": n, "sim_wall_s": sim_wall, "sim_cpu_s": sim_cpu, "run_wall_s": wall,
                  "run_cpu_s": cpu, "peak_rss_mib": peak, "segments": segments,
                  "ttft_p99_s": row["ttft_p99_s"], "tpot_p50_s": row["tpot_p50_s"]}))
"""


def run_size(n: float) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(n)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--sizes", nargs="+", type=float, default=[1e4, 1e5, 1e6])
    parser.add_argument("--note", default="", help="a line about the machine (load, cores)")
    args = parser.parse_args()
    rows = []
    for n in args.sizes:
        res = run_size(n)
        rows.append(res)
        print(json.dumps(res))
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        f"Measured {stamp} with `python bench/bench_inference.py` on {platform.machine()}, Python "
        f"{platform.python_version()}, {platform.system()}, one process per size (single-threaded). {args.note}",
        "Workload: Llama-2-7B, one A100-80GB replica, Poisson 2 req/s, 512 prompt / 128 output tokens,",
        "continuous batching. `simulate` = the replica event loop alone; `run` = `simcompute.run`",
        "end to end (traffic generation, simulation, power ledger, result tables).",
        "",
        "| requests | simulate wall (s) | simulate CPU (s) | requests/s (simulate, CPU) | run wall (s) | "
        "run CPU (s) | requests/s (run, wall) | power segments | peak RSS (MiB) |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['requests']:,} | {r['sim_wall_s']:.2f} | {r['sim_cpu_s']:.2f} | "
            f"{r['requests'] / r['sim_cpu_s']:,.0f} | {r['run_wall_s']:.2f} | {r['run_cpu_s']:.2f} | "
            f"{r['requests'] / r['run_wall_s']:,.0f} | {r['segments']:,} | {r['peak_rss_mib']:,.0f} |"
        )
    print(f"wrote {update_section('bench_inference', chr(10).join(lines))}")


if __name__ == "__main__":
    main()
