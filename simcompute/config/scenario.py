"""The top level of a scenario file."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from simcompute.config.base import Duration, Strict, field_error
from simcompute.config.cluster import ClusterConfig
from simcompute.config.failures import FailuresConfig
from simcompute.config.scheduling import SchedulingConfig
from simcompute.config.site import SiteConfig
from simcompute.config.workloads import Workload


class OutputConfig(Strict):
    """How results are sampled."""

    timeseries_interval: Duration | None = Field(default=None, gt=0)


class Scenario(Strict):
    """A complete, validated scenario. Frozen: build a new one to change it."""

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    description: str | None = None
    seed: int = Field(default=0, ge=0)
    # horizon: a cap (the run ends when the work is done, at the latest here);
    # window: a fixed accounting period (the run lasts exactly this long)
    horizon: Duration | None = Field(default=None, gt=0)
    window: Duration | None = Field(default=None, gt=0)
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
    workloads: list[Workload] = Field(default_factory=list)

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
