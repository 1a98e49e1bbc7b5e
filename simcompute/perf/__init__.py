"""Performance models: FLOPs, step times and efficiencies, independent of the simulator."""

from simcompute.perf.flops import (
    inference_flops_per_token,
    matmul_params,
    training_flops_per_token,
)
from simcompute.perf.training import Phase, TrainingEstimate, estimate_training, tokens_per_step

__all__ = [
    "Phase",
    "TrainingEstimate",
    "estimate_training",
    "inference_flops_per_token",
    "matmul_params",
    "tokens_per_step",
    "training_flops_per_token",
]
