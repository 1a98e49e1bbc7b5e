"""The `workloads:` list: training jobs and inference services, told apart by `kind`."""

from __future__ import annotations

from typing import Annotated, Union

from pydantic import Field

from simcompute.config.inference import InferenceWorkload
from simcompute.config.training import Parallelism, Precision, TrainingWorkload

Workload = Annotated[Union[TrainingWorkload, InferenceWorkload], Field(discriminator="kind")]
WORKLOAD_KINDS = ("training", "inference")

__all__ = ["WORKLOAD_KINDS", "InferenceWorkload", "Parallelism", "Precision", "TrainingWorkload", "Workload"]
