"""Fuzz campaign: generated malformed scenarios through `simcompute run`, counted by outcome.

    python bench/bench_fuzz.py [--cases 2000] [--seed 0] [--timeout 20]

Each case is a bundled scenario with one mutation (tests/fuzz/mutate.py: wrong types,
extreme and non-finite numbers, long digit strings, unicode and NUL, very long strings,
deep nesting, alias bombs, bad paths, distributions, removed/unknown keys, whole hostile
files), run in-process through the CLI entry point with a time limit. Counts tracebacks,
hangs, errors that are not one clean line naming the file, and runs whose totals are not
finite, non-negative and consistent. Writes a section into bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import collections
import platform
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from results_md import update_section  # noqa: E402

from tests.fuzz.mutate import generate, run_case  # noqa: E402

BAD = ("traceback", "hang", "bad_error", "bad_total", "bad_exit")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument(
        "--timeout", type=float, default=20.0, help="seconds per case before it counts as a hang"
    )
    parser.add_argument("--no-write", action="store_true", help="do not update bench/RESULTS.md")
    args = parser.parse_args()

    counts: collections.Counter[str] = collections.Counter()
    findings: list[str] = []
    slowest = (0.0, "")
    start = time.perf_counter()
    with tempfile.TemporaryDirectory() as tmp:
        run_case(generate(1, args.seed)[0], args.timeout, workdir=Path(tmp))  # warm-up: imports, catalog
        for case in generate(args.cases, args.seed):
            outcome = run_case(case, args.timeout, workdir=Path(tmp))
            counts[outcome.verdict] += 1
            slowest = max(slowest, (outcome.seconds, case.label))
            if outcome.verdict in BAD:
                findings.append(f"{outcome.verdict}: {case.label[:120]} -> {outcome.detail[:200]}")
                print(findings[-1], flush=True)
    wall = time.perf_counter() - start
    total = sum(counts.values())
    print(dict(counts), f"{wall:.0f} s")
    if not args.no_write:
        when = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        rows = "\n".join(f"| {v} | {counts.get(v, 0)} |" for v in ("ok", "error", *BAD))
        listed = "\n".join(f"- {f}" for f in findings[:20]) or "none"
        update_section(
            "bench_fuzz",
            f"""## Fuzzing the input boundary (`bench/bench_fuzz.py`)

Measured {when} with `python bench/bench_fuzz.py --cases {args.cases} --seed {args.seed}` on
{platform.machine()}, Python {platform.python_version()}: {total} generated cases (mutations of
the bundled scenarios, made small, plus whole hostile files) through `simcompute run`
in-process after a warm-up, {args.timeout:g} s limit each; {wall:.0f} s in all, slowest case {slowest[0]:.1f} s
(`{slowest[1][:80]}`). `ok`: exit 0 with finite, non-negative totals the rows add up to;
`error`: exit 2 with one printable line of at most 200 characters naming the file.

| outcome | cases |
|---|---:|
{rows}

Findings: {listed}
""",
        )
    return 1 if any(counts.get(v) for v in BAD) else 0


if __name__ == "__main__":
    sys.exit(main())
