"""The top level of a scenario file."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, PrivateAttr, model_validator

from simcompute.config.base import (
    MAX_DURATION_S,
    MAX_NAME_CHARS,
    MAX_SEED,
    Count,
    Duration,
    Strict,
    field_error,
)
from simcompute.config.cluster import ClusterConfig
from simcompute.config.failures import FailuresConfig
from simcompute.config.scheduling import SchedulingConfig
from simcompute.config.site import SiteConfig
from simcompute.config.workloads import Workload


class OutputConfig(Strict):
    """How results are sampled."""

    timeseries_interval: Duration | None = Field(default=None, gt=0, le=MAX_DURATION_S)


MAX_WORKLOADS = 200
"""Workloads listed in a scenario; each is resolved (a layout search for `auto`) before the run."""


class LimitsConfig(Strict):
    """How much work a run may ask for before it is refused up front (`simcompute/limits.py`).

    The defaults keep every accepted scenario to about 10 s of one core (about 40,000
    requests or cluster events per second, `bench/RESULTS.md`); raise them for a
    large run you mean to wait for.
    """

    max_requests: Count = Field(default=400_000, ge=1, le=1e10, description="requests of all services")
    max_events: Count = Field(
        default=400_000, ge=1, le=1e10, description="checkpoints, failures and repairs, job starts and ends"
    )
    max_decode_iterations: Count = Field(
        default=2_000_000, ge=1, le=1e11, description="explicit decode iterations of `mode: reference`"
    )
    max_timeseries_rows: Count = Field(
        default=500_000, ge=1, le=1e9, description="rows of the timeseries table"
    )


class Scenario(Strict):
    """A complete, validated scenario. Frozen: build a new one to change it."""

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    description: str | None = None
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    # horizon: a cap (the run ends when the work is done, at the latest here);
    # window: a fixed accounting period (the run lasts exactly this long)
    horizon: Duration | None = Field(default=None, gt=0, le=MAX_DURATION_S)
    window: Duration | None = Field(default=None, gt=0, le=MAX_DURATION_S)
    site: SiteConfig
    cluster: ClusterConfig
    calibration: str | None = None
    realism: Literal["expected", "ideal"] = Field(
        default="expected",
        description="expected: the run a real stack and operations give; ideal: the achievable step alone",
    )
    operations: Literal["expected", "ideal"] = Field(
        default="expected",
        description="expected: sourced failures, restarts, checkpoints, stragglers, evaluation; ideal: none",
    )
    failures: FailuresConfig | None = None
    scheduling: SchedulingConfig = SchedulingConfig()
    output: OutputConfig = OutputConfig()
    limits: LimitsConfig = LimitsConfig()
    workloads: list[Workload] = Field(
        default_factory=list, max_length=MAX_WORKLOADS, description="many more jobs: a job trace"
    )
    _source: str | None = PrivateAttr(default=None)
    """The file the scenario was read from, so later errors (resolve, limits) can name it."""

    @property
    def source(self) -> str | None:
        return self._source

    @model_validator(mode="after")
    def _unique_names(self) -> Scenario:
        if self.horizon is not None and self.window is not None:
            raise field_error("window", "give horizon (a cap) or window (a fixed period), not both")
        if not self.workloads and self.scheduling.jobs is None:
            raise field_error("workloads", "list at least one workload, or a job trace in scheduling.jobs")
        seen: set[str] = set()
        for i, w in enumerate(self.workloads):
            if w.name in seen:
                raise field_error(f"workloads[{i}].name", f"'{w.name}' is used twice; names must be unique")
            seen.add(w.name)
        return self
