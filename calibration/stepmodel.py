"""Training step time from a profile: the same GEMM efficiency curve the simulator uses.

Per device and step, with `tokens = batch x seq_len` on that device:

    step_time = sum over weight GEMMs g of 3 * count_g * (F_g + F_half) / (peak * e_max)   (1)
              + attention_flops / (peak * attention_efficiency)                          (2)
              + elementwise_elements * elementwise_s_per_element                         (3)
              + params * optimizer_s_per_param + step_overhead_s                         (4)

(1) is `simcompute.perf.efficiency.gemm_time_s` over `simcompute.perf.gemms.layer_gemms` and
`head_gemm` (forward once, backward twice at the same size), so `gemm_max_efficiency` (e_max)
and `gemm_half_size_flops` (F_half) mean exactly what they mean in the simulator. (2) is the
score and value products (PaLM's `12 L H Q T` per token), which are not weight GEMMs. (3) is
memory-bound work that grows with activations (norms, GELU, residuals, softmax/cross-entropy
over the vocabulary); (4) is AdamW over every parameter and a fixed per-step cost. The model
is linear in `1/e_max`, `F_half/e_max` and the other coefficients, so `fit` is a bounded
linear least-squares problem.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from simcompute.catalog import ModelSpec
from simcompute.perf.efficiency import gemm_time_s
from simcompute.perf.flops import attention_flops_per_token
from simcompute.perf.gemms import head_gemm, layer_gemms

# Elements read or written per token by the memory-bound kernels, forward + backward, counted
# from the model in calibration/model.py: per layer two LayerNorms (h each), two residual adds
# (2h), GELU on the 4h MLP activation, each ~3x for backward -> ~24h; the LM head's logits
# (vocab) go through log-softmax and cross-entropy forward and backward -> ~4 vocab.
ELEMENTWISE_PER_LAYER_HIDDEN = 24
ELEMENTWISE_PER_VOCAB = 4

COEFFICIENTS = (
    "inv_gemm_max_efficiency",
    "gemm_half_size_over_max_efficiency",
    "inv_attention_efficiency",
    "elementwise_s_per_element",
    "optimizer_s_per_param",
    "step_overhead_s",
)


@dataclass(frozen=True)
class StepModel:
    """The fitted step-time parameters (see the module docstring)."""

    peak_flops: float
    gemm_max_efficiency: float
    gemm_half_size_flops: float
    attention_efficiency: float
    elementwise_s_per_element: float
    optimizer_s_per_param: float
    step_overhead_s: float

    @classmethod
    def from_coefficients(cls, peak_flops: float, c: np.ndarray) -> StepModel:
        return cls(
            peak_flops=peak_flops,
            gemm_max_efficiency=1.0 / c[0],
            gemm_half_size_flops=c[1] / c[0],
            attention_efficiency=1.0 / c[2],
            elementwise_s_per_element=float(c[3]),
            optimizer_s_per_param=float(c[4]),
            step_overhead_s=float(c[5]),
        )


def gemm_calls(model: ModelSpec, tokens: int) -> list[tuple[float, int]]:
    """(FLOPs of one GEMM, calls per training step) for every weight GEMM, forward + backward."""
    calls = [(g.flops, 3 * g.count * model.layers) for g in layer_gemms(model, tokens)]
    calls.append((head_gemm(model, tokens).flops, 3))
    return calls


def step_features(model: ModelSpec, batch: int, seq_len: int, peak_flops: float) -> np.ndarray:
    """The terms of the step-time model for one device, in the order of `COEFFICIENTS`."""
    tokens = batch * seq_len
    calls = gemm_calls(model, tokens)
    gemm_s_at_peak = sum(f * n for f, n in calls) / peak_flops
    gemm_count = sum(n for _, n in calls) / peak_flops
    attention_s_at_peak = attention_flops_per_token(model, seq_len) * tokens / peak_flops
    elementwise = tokens * (
        ELEMENTWISE_PER_LAYER_HIDDEN * model.layers * model.hidden + ELEMENTWISE_PER_VOCAB * model.vocab
    )
    params = model.total_params
    return np.array([gemm_s_at_peak, gemm_count, attention_s_at_peak, elementwise, params, 1.0])


def predict_step_time(model: ModelSpec, batch: int, seq_len: int, fitted: StepModel) -> float:
    """Seconds per training step on one device (world size 1) for `batch` sequences."""
    tokens = batch * seq_len
    gemm_s = sum(
        n * gemm_time_s(f, fitted.peak_flops, fitted.gemm_max_efficiency, fitted.gemm_half_size_flops)
        for f, n in gemm_calls(model, tokens)
    )
    f = step_features(model, batch, seq_len, fitted.peak_flops)
    return float(
        gemm_s
        + f[2] / fitted.attention_efficiency
        + f[3] * fitted.elementwise_s_per_element
        + f[4] * fitted.optimizer_s_per_param
        + fitted.step_overhead_s
    )


def step_model_from_fitted(fitted: dict[str, Any]) -> StepModel:
    """The StepModel stored in a profile's `fitted:` block (as written by `calibration.fit`)."""
    return StepModel(
        peak_flops=float(fitted["peak_tflops"]) * 1e12,
        gemm_max_efficiency=float(fitted["gemm_max_efficiency"]),
        gemm_half_size_flops=float(fitted["gemm_half_size_flops"]),
        attention_efficiency=float(fitted["attention_efficiency"]),
        elementwise_s_per_element=float(fitted["elementwise_s_per_element"]),
        optimizer_s_per_param=float(fitted["optimizer_s_per_param"]),
        step_overhead_s=float(fitted["step_overhead_s"]),
    )
