"""The bundled validation cases (data/cases.yaml), copied from the project's reference table."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from typing import Any

import yaml

from simcompute.catalog import ModelSpec
from simcompute.catalog.loader import SAFE_LOADER
from simcompute.perf.training import ATTENTION_KINDS

METRICS = ("gpu_hours", "tokens_per_s_per_gpu", "mfu", "tflops_per_gpu", "hw_tflops_per_gpu", "node_power_kw")
PER_GPU_MICROBATCH = "per_gpu_microbatch"


@dataclass(frozen=True)
class Case:
    """One published training run: setup, the published number and where it comes from.

    `parallelism` is "auto" or a mapping of layout fields; with `search` those fields are
    pinned and the rest searched. `global_batch_tokens` None means one microbatch per GPU
    per step (short throughput benchmarks), the microbatch being searched. `attention` is the
    attention kernel the run used (`flash` or `standard`), a fact of its software stack, as is
    `ep_overlap_fraction` (the share of expert all-to-alls its pipeline schedule hides).
    `stack` is the software stack the run used (a name in realism/data/stacks.yaml);
    `batch_ramp` its published batch ramp-up, (tokens, starting global batch in tokens).
    """

    id: str
    model: str | ModelSpec
    node: str
    fabric: str
    gpus: int
    tokens: float
    global_batch_tokens: float | None
    seq_len: int
    precision: str
    parallelism: str | dict[str, Any]
    search: bool
    metric: str
    published: float
    source: str
    locator: str
    assumptions: str
    attention: str = "flash"
    ep_overlap_fraction: float = 0.0
    stack: str = "unknown"
    batch_ramp: tuple[float, float] | None = None

    @property
    def layout_searched(self) -> bool:
        return self.parallelism == "auto" or self.search


def _load_raw() -> dict[str, Any]:
    text = resources.files("simcompute.validate").joinpath("data/cases.yaml").read_text(encoding="utf-8")
    return yaml.load(text, Loader=SAFE_LOADER)


def case_from_dict(c: dict[str, Any], models: dict[str, ModelSpec], where: str) -> Case:
    """One case (or stack benchmark) from its YAML mapping; `models` resolves inline model names."""
    if c["metric"] not in METRICS:
        raise ValueError(f"{where} {c['id']}: unknown metric {c['metric']!r}")
    if c.get("attention", "flash") not in ATTENTION_KINDS:
        raise ValueError(f"{where} {c['id']}: unknown attention {c['attention']!r}")
    batch = c["global_batch_tokens"]
    return Case(
        id=c["id"],
        model=models.get(c["model"], c["model"]),
        node=c["node"],
        fabric=c["fabric"],
        gpus=int(c["gpus"]),
        tokens=float(c["tokens"]),
        global_batch_tokens=None if batch == PER_GPU_MICROBATCH else float(batch),
        seq_len=int(c["seq_len"]),
        precision=c["precision"],
        parallelism=c["parallelism"],
        search=bool(c.get("search", False)),
        metric=c["metric"],
        published=float(c["published"]),
        source=c["source"],
        locator=c["locator"],
        assumptions=c.get("assumptions", ""),
        attention=c.get("attention", "flash"),
        ep_overlap_fraction=float(c.get("ep_overlap_fraction", 0.0)),
        stack=c.get("stack", "unknown"),
        batch_ramp=(float(r["tokens"]), float(r["start_global_batch_tokens"]))
        if (r := c.get("batch_ramp"))
        else None,
    )


def validation_models() -> dict[str, ModelSpec]:
    """The inline architectures of validation models that are not catalog presets."""
    return {k: ModelSpec(**v) for k, v in (_load_raw().get("models") or {}).items()}


def load_cases() -> tuple[list[Case], list[dict[str, str]]]:
    """(cases, skipped) where each skipped entry has `id` and `reason`."""
    raw = _load_raw()
    models = validation_models()
    cases = [case_from_dict(c, models, "cases.yaml") for c in raw["cases"]]
    return cases, list(raw.get("skipped") or [])
