"""Scenario configuration: YAML -> frozen, validated pydantic models (no side effects)."""

from simcompute.config.cluster import ClusterConfig
from simcompute.config.loader import load_scenario, scenario_from_dict
from simcompute.config.scenario import FailuresConfig, OutputConfig, Scenario
from simcompute.config.site import SiteConfig
from simcompute.config.workloads import InferenceWorkload, Parallelism, TrainingWorkload, Workload

__all__ = [
    "ClusterConfig",
    "FailuresConfig",
    "InferenceWorkload",
    "OutputConfig",
    "Parallelism",
    "Scenario",
    "SiteConfig",
    "TrainingWorkload",
    "Workload",
    "load_scenario",
    "scenario_from_dict",
]
