"""A budget question's speed: the bundled example (17 model sizes x 3 cluster sizes x 3 GPU
types = 153 training options, each with a layout search and the whole-run layer, plus serving
per model and GPU type). Target: < 10 s. Each run is a fresh interpreter (a cold cache),
timed by wall clock and by the child's CPU time (user + system), so load from others on the
machine shows as the gap between them. Writes its section of bench/RESULTS.md.

    python bench/bench_budget.py [--repeats 3]
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
SPEC = ROOT / "budgets" / "example.yaml"
CHILD = """
import json, resource, sys, time
t0 = time.perf_counter()
from simcompute.budget import plan_budget
plan = plan_budget(sys.argv[1])
wall = time.perf_counter() - t0
ru = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({"wall_s": wall, "cpu_s": ru.ru_utime + ru.ru_stime, "options": len(plan.candidates),
                  "models": int(plan.candidates["model"].nunique()), "optimum": str(plan.optimum["model"])}))
"""


def run_once() -> dict:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, str(SPEC)], capture_output=True, text=True, check=True, cwd=ROOT
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=3)
    runs = [run_once() for _ in range(parser.parse_args().repeats)]
    best = min(runs, key=lambda r: r["wall_s"])
    cpu = min(r["cpu_s"] for r in runs)
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d")
    body = "\n".join([
        "## Budget question (bench/bench_budget.py)",
        "",
        f"`simcompute budget budgets/example.yaml`'s planning step in a fresh interpreter (cold caches,"
        f" imports included): {best['models']} model sizes x 3 cluster sizes x 3 GPU types ="
        f" {best['options']} training options that fit, each with a layout search and the whole-run"
        " layer, plus serving per model and GPU type. Target < 10 s.",
        "",
        "| options | wall (best of {n}) | CPU (best of {n}) | optimum |".format(n=len(runs)),
        "|---|---|---|---|",
        f"| {best['options']} | {best['wall_s']:.2f} s | {cpu:.2f} s | {best['optimum']} |",
        "",
        f"Measured {stamp} on the shared 2-core development machine (Python {platform.python_version()}).",
    ])  # fmt: skip
    print(body)
    print(f"wrote {update_section('bench_budget', body)}")


if __name__ == "__main__":
    main()
