"""Malformed scenarios for fuzzing the input boundary, and the check of what the CLI makes of them.

A case is a bundled scenario (made small so that a valid mutation simulates in about a
second) with one mutation: a value at one field path replaced (wrong type, extreme or
non-finite number, long digit string, unicode/NUL, very long string, deep nesting, an alias
bomb, a bad file path, a distribution), a key removed or added, a mapping turned into a list,
or the whole file replaced (alias bombs, recursive anchors, NUL bytes, invalid UTF-8, too
large). `run_case` runs it through `simcompute.cli.main` in-process with a time limit and
classifies the outcome; the test suite (hypothesis) and `bench/bench_fuzz.py` share both.
"""

from __future__ import annotations

import contextlib
import copy
import io
import math
import random
import shutil
import signal
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import yaml

ROOT = Path(__file__).resolve().parents[2]
SCENARIOS = ROOT / "scenarios"
MAX_ERROR_CHARS = 200
ERROR_PREFIX = "simcompute: error: "

# Smaller versions of the bundled scenarios: the same structure, a fraction of the work.
_SHRINK: dict[str, dict[str, Any]] = {
    "quickstart": {"workloads[0].tokens": "2B"},
    "gpt3-175b-a100": {"workloads[0].tokens": "2B"},
    "llama2-7b-h100": {"workloads[0].tokens": "2B"},
    "deepseek-v3-h100": {"workloads[0].tokens": "1B"},
    "llama2-7b-serving": {"workloads[0].duration": "1m"},
    "train-and-serve": {"workloads[0].duration": "2m", "workloads[1].tokens": "0.2B"},
    "shared-cluster": {"horizon": "1d", "workloads[0].tokens": "2B"},
}

Path_ = tuple[str | int, ...]


def _set(data: Any, path: Path_, value: Any) -> None:
    for key in path[:-1]:
        data = data[key]
    data[path[-1]] = value


def _parse(dotted: str) -> Path_:
    out: list[str | int] = []
    for part in dotted.replace("]", "").split("."):
        name, *indexes = part.split("[")
        if name:
            out.append(name)
        out.extend(int(i) for i in indexes)
    return tuple(out)


def base_scenarios() -> dict[str, dict[str, Any]]:
    """The bundled scenarios as raw mappings, shrunk to run fast."""
    bases = {}
    for file in sorted(SCENARIOS.glob("*.yaml")):
        data = yaml.safe_load(file.read_text(encoding="utf-8"))
        for dotted, value in _SHRINK.get(file.stem, {}).items():
            _set(data, _parse(dotted), value)
        bases[file.stem] = data
    return bases


def field_paths(data: Any, prefix: Path_ = ()) -> Iterator[Path_]:
    """Every path in `data`, intermediate and leaf."""
    if prefix:
        yield prefix
    if isinstance(data, dict):
        for key, value in data.items():
            yield from field_paths(value, (*prefix, key))
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from field_paths(value, (*prefix, i))


def _bomb(levels: int, width: int) -> str:
    """A flow-sequence alias bomb ("billion laughs"): width**levels values from a few bytes."""
    parts = ["&l0 [lol, lol]"]
    for i in range(1, levels):
        parts.append(f"&l{i} [" + ", ".join([f"*l{i - 1}"] * width) + "]")
    return "[" + ", ".join(parts) + "]"


# Values written into YAML text verbatim (placeholders survive safe_dump as plain strings).
RAW = {
    "__DEEP_FLOW__": "[" * 3000 + "]" * 3000,
    "__DEEP_MAP__": "{a: " * 200 + "1" + "}" * 200,
    "__LONG_DIGITS__": "9" * 5000,
    "__LONG_FLOAT__": "1." + "7" * 5000 + "e5",
    "__BOMB_SMALL__": _bomb(6, 6),
    "__BOMB_BIG__": _bomb(10, 10),
    "__AWARE_DATE__": "2023-07-01T00:00:00+02:00",
    "__BAD_DATE__": "2023-02-30",
    "__HEX__": "0x7fffffffffffffffffffffff",
    "__SEXAGESIMAL__": "190:20:30",
}

EXTREME_NUMBERS: list[Any] = [
    0, -1, -0.5, 1e-300, 5e-324, 1e300, -1e300, 2**63, 2**70, 10**40, float("nan"), float("inf"),
    float("-inf"), 0.1, 1, 3, 1e6, 1e9, 1e12, 1e15, 1e18, -20000000000.0,
]  # fmt: skip
WRONG_TYPES: list[Any] = [
    "abc", "", " ", True, False, None, [], {}, [1, 2], {"a": 1}, "12abc", "1e", "-20B", "20X",
    "1e999", "-1h", "3 days", "nan", "inf", "\x00", "a\x00b", "\u202eevil", "名前", "\ud7ff" * 3,
    "😀" * 10, "x" * 300, "x" * 5000, "y" * 100_000, "\n\n", "a\tb", "'; DROP TABLE", "%s%n",
]  # fmt: skip
PATHS: list[Any] = [
    "/dev/zero", "/etc", "/nonexistent/x.csv", "missing.csv", "../../../../etc/passwd", "\x00.csv",
    "x" * 5000 + ".csv", "/proc/self/mem", ".", "",
]  # fmt: skip
DISTRIBUTIONS: list[Any] = [
    {"dist": {"a": 1}, "mean": 1, "sd": 1},
    {"dist": ["normal"], "mean": 1, "sd": 1},
    {"dist": "normal", "mean": 1e300, "sd": -1},
    {"dist": "normal", "mean": 1.2, "sd": 1e300},
    {"dist": "lognormal", "mean": 1e300, "sigma": 1e300},
    {"dist": "lognormal", "mean": -1, "sigma": 0.5},
    {"dist": "uniform", "low": 5, "high": 1},
    {"dist": "uniform", "low": -1e308, "high": 1e308},
    {"dist": "triangular", "low": 1, "mode": 9, "high": 2},
    {"dist": "normal", "mean": "x", "sd": [1]},
    {"dist": "normal", 1: 2, "mean": 1, "sd": 1},
    {"dist": "normal", "mean": 1, "sd": 0.1, "integer": "yes"},
    {"dist": "weird"},
]
RAW_VALUES = list(RAW)
VALUE_POOLS = {
    "numbers": EXTREME_NUMBERS,
    "types": WRONG_TYPES,
    "paths": PATHS,
    "distributions": DISTRIBUTIONS,
    "raw": RAW_VALUES,
}

WHOLE_FILES: dict[str, bytes] = {
    "billion_laughs": ("name: x\nsite: " + _bomb(10, 10) + "\n").encode(),
    "recursive_anchor": b"name: x\nsite: &a\n  region: *a\ncluster: &b [*b]\n",
    "nul_bytes": b"name: quick\x00start\nsite: {region: us-west}\n",
    "invalid_utf8": b"name: \xff\xfe\xfd\nsite: {}\n",
    "empty": b"",
    "only_comment": b"# nothing here\n",
    "scalar": b"42\n",
    "list": b"- 1\n- 2\n",
    "tabs": b"name:\tx\n\tsite: 1\n",
    "python_tag": b"!!python/object/apply:os.system ['true']\n",
    "huge": b"name: x\ndescription: '" + b"z" * 2_000_000 + b"'\n",
    "many_keys": ("\n".join(f"k{i}: {i}" for i in range(200_000)) + "\n").encode(),
    "deep_block": ("".join("  " * i + f"k{i}:\n" for i in range(400)) + "  " * 400 + "x: 1\n").encode(),
    "duplicate_anchor": b"a: &x 1\nb: &x 2\nname: *x\n",
    "undefined_alias": b"name: *nothing\n",
    "binary_junk": bytes(range(256)) * 4,
}


@dataclass(frozen=True)
class Case:
    """One generated input: `text` is the scenario's bytes, `files` other files beside it."""

    label: str
    text: bytes
    base: str = ""
    files: tuple[tuple[str, bytes], ...] = ()


JOB_HEADER = "name,submit_s,gpus,model,tokens,duration_s,flops,priority,checkpoint_every_s\n"
REQUEST_HEADER = "arrival_s,prompt_tokens,output_tokens\n"
TRACE_ROWS = {
    "jobs": [
        "a,0,1e400,,,6h,,0,", "a,nan,8,,,6h,,0,", "a,0,8,,,-1,,0,", "a\x00b,0,8,,,6h,,0,", "a,0,8,,,6h,,1e400,",
        "a,0,8,,,,1e29,0,", "a,0,8,llama-2-7b,1e16,,,0,", "a,0,8,,,100y,,0,1ms", 'a,0,8,,,"6h',
        "a,0," + "9" * 5000 + ",,,6h,,0,", "名前,0,8,,,6h,,0,", "a,0,8,zzz,1B,,,0,", "a,0,8,,,6h,,0,\na,0,8,,,6h,,0,",
        "a,1e300,8,,,6h,,0,", ",,,,,,,,", "a,0,0,,,6h,,0,",
    ],
    "requests": [
        "nan,10,10", "0," + "9" * 5000 + ",10", "1e300,10,10", "0,1.5,10", "1,10,10\n0,10,10", "-1,10,10",
        "0,0,10", "0,1e12,10", "x,y,z", "",
    ],
}  # fmt: skip


def trace_cases(bases: dict[str, dict[str, Any]]) -> list[Case]:
    """Hostile job and request traces, named by small scenarios."""
    cases = []
    jobs_base = copy.deepcopy(bases["shared-cluster"])
    jobs_base["scheduling"]["jobs"]["path"] = "traces/fuzz-jobs.csv"
    for i, row in enumerate(TRACE_ROWS["jobs"]):
        cases.append(Case(f"trace:jobs:{i}", _render(jobs_base), "shared-cluster",
                          (("traces/fuzz-jobs.csv", (JOB_HEADER + row + "\n").encode()),)))  # fmt: skip
    serving = copy.deepcopy(bases["llama2-7b-serving"])
    service = serving["workloads"][0]
    service["arrivals"] = {"kind": "trace", "path": "traces/fuzz-requests.csv"}
    for key in ("prompt_tokens", "output_tokens", "duration"):
        service.pop(key, None)
    for i, row in enumerate(TRACE_ROWS["requests"]):
        cases.append(Case(f"trace:requests:{i}", _render(serving), "llama2-7b-serving",
                          (("traces/fuzz-requests.csv", (REQUEST_HEADER + row + "\n").encode()),)))  # fmt: skip
    return cases


def _render(data: Any) -> bytes:
    text = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=1_000_000)
    for key, raw in RAW.items():
        text = text.replace(key, raw)
    return text.encode("utf-8", errors="surrogatepass")


def _flip_structure(value: Any) -> Any:
    if isinstance(value, dict):
        return list(value.items())
    if isinstance(value, list):
        return {str(i): v for i, v in enumerate(value)}
    return {"value": value}


def mutate(base: str, data: dict[str, Any], path: Path_, op: str, value: Any = None) -> Case:
    """`data` (not changed) with one mutation at `path`, rendered as a YAML file."""
    data = copy.deepcopy(data)
    parent: Any = data
    for key in path[:-1]:
        parent = parent[key]
    last = path[-1]
    label = f"{base}:{'.'.join(map(str, path))}:{op}"
    if op == "set":
        parent[last] = value
        label += f"={value!r}"[:80]
    elif op == "delete":
        del parent[last]
    elif op == "flip":
        parent[last] = _flip_structure(parent[last])
    elif op == "unknown_key" and isinstance(parent[last], dict):
        parent[last]["regoin" if "region" in parent[last] else "unknown_field"] = 1
    elif op == "wrap":
        parent[last] = [parent[last]] * 3
    elif op == "scale":  # a plausible value off by orders of magnitude: often valid, so it runs
        factor = 10.0 ** (value if isinstance(value, int) else 6)
        current = parent[last]
        if isinstance(current, bool) or not isinstance(current, (int, float)):
            parent[last] = f"{current}{'0' * 6}" if isinstance(current, str) else current
        else:
            parent[last] = type(current)(current * factor) if factor >= 1 else current * factor
        label += f"x1e{value}"
    else:
        parent[last] = None
    return Case(label, _render(data), base)


def whole_file(name: str) -> Case:
    return Case(f"file:{name}", WHOLE_FILES[name])


def generate(n: int, seed: int = 0) -> list[Case]:
    """`n` cases, deterministic for a seed: whole-file cases first, then field mutations."""
    rng = random.Random(seed)
    bases = base_scenarios()
    names = sorted(bases)
    cases = ([whole_file(name) for name in WHOLE_FILES] + trace_cases(bases))[:n]
    ops = ["set"] * 8 + ["delete", "flip", "unknown_key", "wrap", "scale", "scale"]
    while len(cases) < n:
        base = rng.choice(names)
        paths = list(field_paths(bases[base]))
        path = rng.choice(paths)
        op = rng.choice(ops)
        value = None
        if op == "set":
            pool = rng.choice(list(VALUE_POOLS))
            value = rng.choice(VALUE_POOLS[pool])
        elif op == "scale":
            value = rng.choice([-9, -6, -3, 2, 3, 4, 6, 9])
        cases.append(mutate(base, bases[base], path, op, value))
    return cases


# ---- running and judging a case ---------------------------------------------------------
class CaseTimeout(BaseException):
    """Raised inside the case when its time is up (a BaseException, so no `except Exception` eats it)."""


@dataclass
class Outcome:
    """What the CLI did with a case: `verdict` is ok, error, traceback, hang, bad_error, bad_total or bad_exit."""

    verdict: str
    detail: str = ""
    seconds: float = 0.0
    extra: dict[str, Any] = field(default_factory=dict)


def _alarm(_signum: int, _frame: Any) -> None:
    raise CaseTimeout


def judge_error(stderr: str, file_name: str, other_files: list[str] | None = None) -> str:
    """Empty if `stderr` is a good one-line error naming `file_name` (or one of `other_files`,
    the traces it names), else what is wrong."""
    lines = stderr.splitlines()
    if len(lines) != 1:
        return f"{len(lines)} lines"
    line = lines[0]
    if not line.startswith(ERROR_PREFIX):
        return "no 'simcompute: error:' prefix"
    if len(line) > MAX_ERROR_CHARS:
        return f"{len(line)} characters"
    if not line.isprintable():
        return "unprintable characters"
    if not any(name in line for name in [file_name, *(other_files or [])]):
        return "does not name the file"
    if "Input tag" in line or "found using" in line or "Value error" in line:
        return "pydantic wording"
    return ""


ADDITIVE = ("gpu_hours", "it_energy_kwh", "facility_energy_kwh", "co2_kg", "water_l", "cost_usd")
NON_NEGATIVE = (*ADDITIVE, "energy_cost_usd", "hardware_cost_usd", "embodied_co2_kg", "cooling_energy_kwh",
                "wall_time_s")  # fmt: skip


def judge_results(out: Path) -> str:
    """Empty if the run's summary is sane: finite, non-negative totals that its rows add up to."""
    summary = pd.read_csv(out / "summary.csv")
    total = summary[summary["workload"] == "total"]
    if len(total) != 1:
        return "no single total row"
    total, parts = total.iloc[0], summary[summary["workload"] != "total"]
    for column in NON_NEGATIVE:
        if column not in summary:
            continue
        value = float(total[column])
        if not math.isfinite(value) or value < 0:
            return f"total {column} = {value}"
        if (parts[column].fillna(0) < 0).any():
            return f"a negative {column} row"
    for column in ADDITIVE:
        if column in summary and not math.isclose(
            float(parts[column].sum()), float(total[column]), rel_tol=1e-9, abs_tol=1e-9
        ):
            return f"rows of {column} do not add up to the total"
    if float(total["facility_energy_kwh"]) < float(total["it_energy_kwh"]) * (1 - 1e-9):
        return "facility energy below IT energy"
    return ""


def run_case(case: Case, timeout_s: float = 20.0, workdir: Path | None = None) -> Outcome:
    """Run `simcompute run` on the case in-process, within `timeout_s`, and judge the outcome."""
    import time

    from simcompute.cli import main

    with contextlib.ExitStack() as stack:
        tmp = Path(workdir) if workdir else Path(stack.enter_context(tempfile.TemporaryDirectory()))
        scenario = tmp / "fuzzcase.yaml"
        scenario.write_bytes(case.text)
        traces = tmp / "traces"
        if not traces.exists():
            shutil.copytree(SCENARIOS / "traces", traces)
        extra_names = []
        for name, content in case.files:
            (tmp / name).write_bytes(content)
            extra_names.append(Path(name).name)
        out = tmp / "out"
        stderr, stdout = io.StringIO(), io.StringIO()
        previous = signal.signal(signal.SIGALRM, _alarm)
        signal.setitimer(signal.ITIMER_REAL, timeout_s)
        start = time.perf_counter()
        try:
            with contextlib.redirect_stderr(stderr), contextlib.redirect_stdout(stdout):
                rc = main(["run", str(scenario), "--out", str(out), "--force", "--quiet", "--no-plot"])
        except CaseTimeout:
            return Outcome("hang", f"over {timeout_s:g} s", time.perf_counter() - start)
        except BaseException as exc:
            return Outcome(
                "traceback", f"{type(exc).__name__}: {str(exc)[:200]}", time.perf_counter() - start
            )
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
            signal.signal(signal.SIGALRM, previous)
        seconds = time.perf_counter() - start
        if rc == 2:
            problem = judge_error(stderr.getvalue(), scenario.name, extra_names)
            verdict = "bad_error" if problem else "error"
            return Outcome(
                verdict,
                f"{problem}: {stderr.getvalue()[:300]!r}" if problem else stderr.getvalue().strip(),
                seconds,
            )
        if rc != 0:
            return Outcome("bad_exit", f"exit {rc}: {stderr.getvalue()[:300]!r}", seconds)
        problem = judge_results(out)
        return Outcome("bad_total" if problem else "ok", problem, seconds)
