"""The top level of a scenario file."""

from __future__ import annotations

from pydantic import Field, PrivateAttr, model_validator

from simcompute.config.base import MAX_DURATION_S, MAX_NAME_CHARS, MAX_SEED, Duration, Strict, field_error
from simcompute.config.cluster import ClusterConfig
from simcompute.config.failures import FailuresConfig
from simcompute.config.scheduling import SchedulingConfig
from simcompute.config.site import SiteConfig
from simcompute.config.workloads import Workload


class OutputConfig(Strict):
    """How results are sampled."""

    timeseries_interval: Duration | None = Field(default=None, gt=0, le=MAX_DURATION_S)


class Scenario(Strict):
    """A complete, validated scenario. Frozen: build a new one to change it."""

    name: str = Field(min_length=1, max_length=MAX_NAME_CHARS, pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]*$")
    description: str | None = None
    seed: int = Field(default=0, ge=0, le=MAX_SEED)
    horizon: Duration | None = Field(default=None, gt=0, le=MAX_DURATION_S)
    site: SiteConfig
    cluster: ClusterConfig
    calibration: str | None = None
    failures: FailuresConfig | None = None
    scheduling: SchedulingConfig = SchedulingConfig()
    output: OutputConfig = OutputConfig()
    workloads: list[Workload] = Field(default_factory=list)
    _source: str | None = PrivateAttr(default=None)
    """The file the scenario was read from, so later errors (resolve, limits) can name it."""

    @property
    def source(self) -> str | None:
        return self._source

    @model_validator(mode="after")
    def _unique_names(self) -> Scenario:
        if not self.workloads and self.scheduling.jobs is None:
            raise field_error("workloads", "list at least one workload, or a job trace in scheduling.jobs")
        seen: set[str] = set()
        for i, w in enumerate(self.workloads):
            if w.name in seen:
                raise field_error(f"workloads[{i}].name", f"'{w.name}' is used twice; names must be unique")
            seen.add(w.name)
        return self
