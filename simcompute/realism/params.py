"""The whole-run layer's parameters: software stacks and operations, each with its source.

`stacks.yaml` lists each stack's own published benchmarks; `stacks_derived.yaml` (written by
`python -m simcompute.validate.derive`) holds the step model's prediction of each, so a stack's
efficiency is the geometric mean of published / predicted on a GPU generation.
"""

from __future__ import annotations

import functools
import math
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np
import yaml

from simcompute.catalog.loader import SAFE_LOADER

DATA = "simcompute.realism.data"


@dataclass(frozen=True)
class LogNormal:
    """A positive quantity: its median and the standard deviation of its logarithm."""

    median: float
    sd_log: float
    source: str = ""

    def sample(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.median * np.exp(self.sd_log * rng.standard_normal(n))


@dataclass(frozen=True)
class BenchmarkRatio:
    """One stack benchmark: published / the step model's achievable prediction."""

    id: str
    generation: str
    ratio: float
    same_run_as: str | None


@dataclass(frozen=True)
class Stack:
    """A software stack and the ratios of its published benchmarks."""

    id: str
    name: str
    aliases: tuple[str, ...]
    source: str
    ratios: tuple[BenchmarkRatio, ...]


@dataclass(frozen=True)
class Operations:
    """Failure, restart, checkpoint, straggler, evaluation and node-power parameters."""

    failure_rate_per_gpu_hour: dict[str, LogNormal]
    detection_and_restart_s: LogNormal
    checkpoint_bytes_per_param: float
    checkpoint_write_bytes_per_s_per_node: LogNormal
    straggler_waste_fraction: LogNormal
    evaluation_time_fraction: LogNormal
    node_compute_share_of_rating: LogNormal

    def failure_rate(self, generation: str) -> LogNormal:
        return self.failure_rate_per_gpu_hour.get(generation, self.failure_rate_per_gpu_hour["other"])


def _read(name: str) -> dict[str, Any]:
    return yaml.load(resources.files(DATA).joinpath(name).read_text(encoding="utf-8"), Loader=SAFE_LOADER)


def _lognormal(entry: dict[str, Any]) -> LogNormal:
    return LogNormal(float(entry["median"]), float(entry["sd_log"]), entry["source"])


@functools.cache
def load_operations() -> Operations:
    raw = _read("operations.yaml")
    f, c = raw["failures"], raw["checkpoints"]
    return Operations(
        failure_rate_per_gpu_hour={k: _lognormal(v) for k, v in f["rate_per_gpu_hour"].items()},
        detection_and_restart_s=_lognormal(f["detection_and_restart_s"]),
        checkpoint_bytes_per_param=float(c["bytes_per_param"]["value"]),
        checkpoint_write_bytes_per_s_per_node=_lognormal(c["write_bandwidth_bytes_per_s_per_node"]),
        straggler_waste_fraction=_lognormal(raw["stragglers"]["waste_fraction"]),
        evaluation_time_fraction=_lognormal(raw["evaluation"]["time_fraction"]),
        node_compute_share_of_rating=_lognormal(raw["node_power"]["compute_share_of_rating"]),
    )


def stacks_raw() -> dict[str, Any]:
    """stacks.yaml as written (benchmarks, models, sources)."""
    return _read("stacks.yaml")


def clear_caches() -> None:
    """Forget the loaded data (after `python -m simcompute.validate.derive` rewrote it)."""
    load_stacks.cache_clear()
    stack_efficiency.cache_clear()


@functools.cache
def load_stacks() -> dict[str, Stack]:
    raw = stacks_raw()["stacks"]
    derived = _read("stacks_derived.yaml")["benchmarks"]
    stacks = {}
    for sid, s in raw.items():
        ratios = tuple(
            BenchmarkRatio(
                b["id"],
                derived[b["id"]]["generation"],
                float(derived[b["id"]]["ratio"]),
                b.get("same_run_as"),
            )
            for b in s["benchmarks"]
        )
        stacks[sid] = Stack(sid, s["name"], tuple(s.get("aliases", ())), s["source"], ratios)
    return stacks


def stack_id(name: str) -> str:
    """The stack `name` refers to (an id or an alias); ValueError names the known ones."""
    key = name.strip().lower()
    for sid, s in load_stacks().items():
        if key == sid or key in s.aliases:
            return sid
    known = ", ".join(sorted(load_stacks()))
    raise ValueError(f"unknown stack {name!r}; known: {known}")


def _log_stats(logs: list[float]) -> tuple[float, float]:
    mean = sum(logs) / len(logs)
    sd = math.sqrt(sum((x - mean) ** 2 for x in logs) / (len(logs) - 1)) if len(logs) > 1 else 0.0
    return mean, sd


def _usable(stacks: dict[str, Stack], exclude_run: str | None) -> dict[str, list[BenchmarkRatio]]:
    return {
        sid: [r for r in s.ratios if exclude_run is None or r.same_run_as != exclude_run]
        for sid, s in stacks.items()
    }


def _generation_effects(usable: dict[str, list[BenchmarkRatio]]) -> dict[str, float]:
    """log(ratio) = stack effect + generation effect, least squares over every benchmark; the
    generation effects are centred on their mean (a generation without benchmarks gets 0)."""
    rows = [(sid, r) for sid, rs in usable.items() for r in rs]
    sids = sorted({sid for sid, _ in rows})
    gens = sorted({r.generation for _, r in rows})
    x = np.zeros((len(rows) + 1, len(sids) + len(gens)))
    y = np.zeros(len(rows) + 1)
    for i, (sid, r) in enumerate(rows):
        x[i, sids.index(sid)] = 1.0
        x[i, len(sids) + gens.index(r.generation)] = 1.0
        y[i] = math.log(r.ratio)
    x[-1, len(sids) :] = 1.0  # constraint: generation effects sum to zero
    coef = np.linalg.lstsq(x, y, rcond=None)[0]
    return {g: float(coef[len(sids) + j]) for j, g in enumerate(gens)}


def _stack_log_efficiency(
    ratios: list[BenchmarkRatio], generation: str, effects: dict[str, float], max_sd: float
) -> tuple[float, float]:
    """(mean, sd) of log efficiency: the benchmarks on `generation`, else all of them moved to
    `generation` by the generation effects."""
    on_gen = [math.log(r.ratio) for r in ratios if r.generation == generation]
    if on_gen:
        mean, sd = _log_stats(on_gen)
        return mean, sd if len(on_gen) > 1 else max_sd
    target = effects.get(generation, 0.0)
    moved = [math.log(r.ratio) - effects[r.generation] + target for r in ratios]
    mean, sd = _log_stats(moved)
    return mean, sd if len(moved) > 1 else max_sd


@functools.lru_cache(maxsize=256)
def stack_efficiency(name: str, generation: str, exclude_run: str | None = None) -> LogNormal:
    """What stack `name` achieves relative to the achievable step on `generation` (at most 1).

    A stack with benchmarks on that generation: the geometric mean of their ratios (published /
    achievable), spread = their log standard deviation. A stack with benchmarks elsewhere only:
    the same, after moving each ratio to `generation` with the generation effects of a
    stack + generation fit over all benchmarks. A stack with a single benchmark takes the largest
    spread of the others. `unknown` (and a stack without benchmarks): the median of the other
    stacks, spread = between and within stacks together. `exclude_run` leaves out the benchmarks
    that are that validation case's own run (leave-one-out).
    """
    usable = {sid: rs for sid, rs in _usable(load_stacks(), exclude_run).items() if rs}
    effects = _generation_effects(usable)
    spreads = [_log_stats([math.log(r.ratio) for r in rs])[1] for rs in usable.values() if len(rs) > 1]
    max_sd = max(spreads)
    per_stack = {sid: _stack_log_efficiency(rs, generation, effects, max_sd) for sid, rs in usable.items()}
    sid = stack_id(name)
    if sid in per_stack:
        mean, sd = per_stack[sid]
        return LogNormal(min(1.0, math.exp(mean)), sd, f"{sid}: {len(usable[sid])} benchmark(s)")
    means = sorted(m for m, _ in per_stack.values())
    mid = len(means) // 2
    median = means[mid] if len(means) % 2 else 0.5 * (means[mid - 1] + means[mid])
    between = _log_stats(means)[1]
    within = math.sqrt(sum(sd**2 for _, sd in per_stack.values()) / len(per_stack))
    return LogNormal(
        min(1.0, math.exp(median)), math.hypot(between, within), f"median of {len(means)} stacks"
    )
