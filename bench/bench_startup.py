"""Start-up cost of the command line: CPU time of `simcompute --help` and of `simcompute run`.

Each command runs in a fresh interpreter (best of N), timed by the child's own CPU clock
(user + system, from `resource`), so other load on the machine barely moves it. The import
breakdown comes from `python -X importtime` of the same command: the top-level packages that
cost the most, inclusive. Writes its section of bench/RESULTS.md.

    python bench/bench_startup.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import json
import platform
import re
import subprocess
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path

from results_md import update_section

ROOT = Path(__file__).resolve().parents[1]
CHILD = """
import resource, sys
from simcompute.cli import main
try:
    rc = main(sys.argv[1:])
except SystemExit as exc:  # --help exits through argparse
    rc = exc.code
usage = resource.getrusage(resource.RUSAGE_SELF)
print("CPU_S", usage.ru_utime + usage.ru_stime, file=sys.stderr)
"""


def _commands(out: str) -> dict[str, list[str]]:
    return {
        "simcompute --help": ["--help"],
        "simcompute run scenarios/quickstart.yaml": ["run", "scenarios/quickstart.yaml", "--out", out, "--force", "--quiet"],
    }  # fmt: skip


def cpu_seconds(args: list[str]) -> float:
    """CPU time (user + system) of one fresh interpreter running the CLI with `args`."""
    proc = subprocess.run(
        [sys.executable, "-c", CHILD, *args], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return float(re.search(r"CPU_S ([0-9.]+)", proc.stderr).group(1))


THIRD_PARTY = (
    "numpy",
    "pandas",
    "pydantic",
    "simpy",
    "yaml",
    "pyarrow",
    "matplotlib",
    "rich",
    "scipy",
    "torch",
    "ray",
)


def import_breakdown(args: list[str]) -> list[tuple[str, float]]:
    """Inclusive import time of each third-party package the command loads, largest first (s).

    Inclusive: a package's time includes what it imports first (pandas includes numpy when
    numpy comes in through it), so the figures overlap and do not add up.
    """
    proc = subprocess.run([sys.executable, "-X", "importtime", "-c", CHILD, *args], cwd=ROOT,
                          capture_output=True, text=True, check=True)  # fmt: skip
    times: dict[str, float] = {}
    for line in proc.stderr.splitlines():
        m = re.match(r"import time:\s+\d+ \|\s+(\d+) \| *(\S+)$", line)
        if m and m.group(2) in THIRD_PARTY:
            times[m.group(2)] = int(m.group(1)) / 1e6
    return sorted(times.items(), key=lambda kv: -kv[1])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    rows, breakdowns = [], {}
    with tempfile.TemporaryDirectory() as tmp:
        for name, argv in _commands(str(Path(tmp) / "quickstart")).items():
            best = min(cpu_seconds(argv) for _ in range(args.repeats))
            rows.append((name, best))
            breakdowns[name] = import_breakdown(argv)
            print(json.dumps({"command": name, "cpu_s": round(best, 3), "imports": breakdowns[name]}))
    body = [
        "## Start-up (`bench/bench_startup.py`)",
        "",
        f"{datetime.now(timezone.utc):%Y-%m-%d}, {platform.processor() or platform.machine()}, Python "
        f"{platform.python_version()}; CPU time (user + system) of a fresh interpreter, best of {args.repeats}. "
        "Targets: `--help` < 0.5 s, `run` of the quickstart < 2 s.",
        "",
        "| command | CPU s | third-party imports (inclusive s; they overlap) |",
        "|---|---:|---|",
    ]
    for name, best in rows:
        imports = ", ".join(f"{pkg} {s:.2f}" for pkg, s in breakdowns[name]) or "none"
        body.append(f"| `{name}` | {best:.2f} | {imports} |")
    update_section("startup", "\n".join(body))


if __name__ == "__main__":
    main()
