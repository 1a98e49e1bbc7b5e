"""Benchmark harness: time the bundled scenarios and write bench/RESULTS.md.

Each case runs in a fresh subprocess (so peak memory is its own): wall time of the
simulation (best of N repeats, after one warm-up), SimPy events processed, events per
second, and peak traced memory. Run with `make bench` or `python bench/run_bench.py`.
"""

from __future__ import annotations

import argparse
import json
import platform
import subprocess
import sys
import time
from datetime import datetime, timezone
from pathlib import Path

from results_md import update_section

ROOT = Path(__file__).resolve().parents[1]
CASES = {
    "quickstart": ROOT / "scenarios" / "quickstart.yaml",
    "gpt3-175b-a100": ROOT / "scenarios" / "gpt3-175b-a100.yaml",
    "llama2-7b-h100": ROOT / "scenarios" / "llama2-7b-h100.yaml",
    "llama2-7b-serving": ROOT / "scenarios" / "llama2-7b-serving.yaml",
    "train-and-serve": ROOT / "scenarios" / "train-and-serve.yaml",
    "shared-cluster": ROOT / "scenarios" / "shared-cluster.yaml",
}

CHILD = r"""
import json, sys, time, tracemalloc
import simpy
import simcompute as sc

counter = {"events": 0}
_step = simpy.Environment.step
def step(self):
    counter["events"] += 1
    return _step(self)
simpy.Environment.step = step

path, repeats = sys.argv[1], int(sys.argv[2])
scenario = sc.load_scenario(path)
sc.run(scenario)  # warm-up: imports, catalog cache
times = []
for _ in range(repeats):
    counter["events"] = 0
    t0 = time.perf_counter()
    sc.run(scenario)
    times.append(time.perf_counter() - t0)
events = counter["events"]
tracemalloc.start()
sc.run(scenario)
peak = tracemalloc.get_traced_memory()[1]
print(json.dumps({"wall_s": min(times), "events": events, "peak_mib": peak / 2**20}))
"""


def run_case(path: Path, repeats: int) -> dict:
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, str(path), str(repeats)], capture_output=True, text=True, check=True
    )
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for name, path in CASES.items():
        t0 = time.perf_counter()
        res = run_case(path, args.repeats)
        res["name"] = name
        res["events_per_s"] = res["events"] / res["wall_s"] if res["wall_s"] > 0 else float("nan")
        rows.append(res)
        print(f"{name:20s} {res['wall_s'] * 1000:9.1f} ms  {res['events']:8d} events  "
              f"{res['events_per_s']:10.0f} ev/s  {res['peak_mib']:7.1f} MiB  ({time.perf_counter() - t0:.1f} s total)")  # fmt: skip
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    lines = [
        "## Bundled scenarios (`bench/run_bench.py`)",
        "",
        f"Measured {stamp} on {platform.machine()}, Python {platform.python_version()}, {platform.system()}; "
        f"best of {args.repeats} runs after a warm-up, each case in its own process. Wall time covers "
        "`simcompute.run` (load, resolve, simulate, aggregate).",
        "",
        "| case | wall time (ms) | SimPy events | events/s | peak traced memory (MiB) |",
        "|---|---:|---:|---:|---:|",
    ]
    for r in rows:
        lines.append(
            f"| {r['name']} | {r['wall_s'] * 1000:.1f} | {r['events']} | {r['events_per_s']:.0f} | {r['peak_mib']:.1f} |"
        )
    print(f"wrote {update_section('run_bench', chr(10).join(lines))}")


if __name__ == "__main__":
    main()
