"""Second configuration stage: a validated `Scenario` + catalog -> concrete specs to simulate.

Looks up every catalog name, applies overrides and calibration, checks the cross-field rules
(does the workload fit the cluster?) and computes per-workload performance. Errors name the
YAML path of the offending field. One module per scenario section.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from simcompute.catalog import Catalog, load_catalog
from simcompute.config import InferenceWorkload, Scenario
from simcompute.errors import ConfigError
from simcompute.limits import check_work
from simcompute.profile import CalibrationProfile, load_profile
from simcompute.resolve.cluster import ClusterSpec, resolve_cluster
from simcompute.resolve.inference import InferenceServiceSpec, resolve_inference
from simcompute.resolve.jobs import ClusterJobSpec, from_training, resolve_trace_jobs
from simcompute.resolve.site import SiteSpec, resolve_site
from simcompute.resolve.training import TrainingJobSpec, resolve_training
from simcompute.resolve.wholerun import EngineOperations, engine_operations


@dataclass(frozen=True)
class ResolvedScenario:
    """Everything the engine needs, with no names left to look up."""

    scenario: Scenario
    cluster: ClusterSpec
    site: SiteSpec
    jobs: tuple[TrainingJobSpec, ...]
    calibration: CalibrationProfile | None
    trace_jobs: tuple[ClusterJobSpec, ...] = ()
    services: tuple[InferenceServiceSpec, ...] = ()
    operations: EngineOperations = field(default_factory=lambda: EngineOperations(None))

    @property
    def cluster_jobs(self) -> tuple[ClusterJobSpec, ...]:
        """Every training job the scheduler runs: scenario workloads first, then trace rows."""
        return tuple(from_training(j) for j in self.jobs) + self.trace_jobs


def resolve(
    scenario: Scenario, catalog: Catalog | None = None, calibration: str | None = None
) -> ResolvedScenario:
    """Resolve names, overrides and calibration; compute each workload's performance.

    `calibration` (a profile path) takes precedence over the scenario's `calibration:`.
    Errors name the scenario file.
    """
    try:
        return _resolve(scenario, catalog, calibration)
    except ConfigError as exc:
        raise exc.with_source(scenario.source) from None


def _resolve(scenario: Scenario, catalog: Catalog | None, calibration: str | None) -> ResolvedScenario:
    catalog = catalog or load_catalog()
    profile_path = calibration or scenario.calibration
    profile = load_profile(profile_path) if profile_path else None
    cluster = resolve_cluster(scenario, catalog, profile)
    if profile is not None and profile.gpu != cluster.accelerator.id:
        raise ConfigError(
            "calibration",
            f"profile {profile.path} was measured on '{profile.gpu}' but the cluster's GPU is "
            f"'{cluster.accelerator.id}'; a profile applies only to its own GPU type",
        )
    site = resolve_site(scenario, catalog, cluster)
    jobs = []
    services = []
    for i, workload in enumerate(scenario.workloads):
        if isinstance(workload, InferenceWorkload):
            services.append(resolve_inference(i, workload, cluster, catalog))
            continue
        jobs.append(resolve_training(i, workload, cluster, catalog, scenario))
    trace_jobs = resolve_trace_jobs(scenario, cluster, catalog)
    resolved = ResolvedScenario(
        scenario=scenario, cluster=cluster, site=site, jobs=tuple(jobs), calibration=profile,
        trace_jobs=trace_jobs, services=tuple(services),
        operations=engine_operations(scenario, cluster, has_training=bool(jobs or trace_jobs)),
    )  # fmt: skip
    check_work(resolved)
    return resolved


__all__ = [
    "ClusterJobSpec",
    "ClusterSpec",
    "InferenceServiceSpec",
    "ResolvedScenario",
    "SiteSpec",
    "TrainingJobSpec",
    "resolve",
]
