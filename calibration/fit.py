"""Fit measured points into the profile parameters the simulator uses, with goodness of fit.

- Step time: bounded linear least squares of `calibration.stepmodel` on relative errors
  (every point counts alike whatever its size), with `1/e_max >= 1` and
  `1/attention_efficiency >= 1` (nothing beats peak) and all other coefficients >= 0.
- Power: GPU power = idle + (max - idle) x activity (`FittedParameters`); the activity of
  training (compute-bound) and of decode (memory-bound) is the least-squares fit of the
  measured mean powers, given the idle power measured before the run and the power limit.
- Inference: decode's achieved fraction of the memory-bandwidth reference (memory
  efficiency) and prefill's fraction of peak.
"""

from __future__ import annotations

import statistics
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from scipy.optimize import lsq_linear

from calibration.config import GPTConfig
from calibration.stepmodel import COEFFICIENTS, StepModel, predict_step_time, step_features
from simcompute.catalog import ModelSpec


def point_model(point: dict[str, Any]) -> tuple[ModelSpec, int, int]:
    """(ModelSpec, per-device batch, seq_len) of a training point from points.jsonl."""
    cfg = GPTConfig.from_dict(point["config"]["model"])
    return cfg.to_model_spec(), int(point["config"]["batch"]), cfg.seq_len


def measured_step_time_s(point: dict[str, Any]) -> float:
    """The step time the fit and the held-out check use: the median (robust to other load)."""
    return float(point["step_time_median_s"])


BOUND_TOLERANCE = 1e-3
"""Largest relative change of any point's step time for a coefficient still to count as on its bound."""

# The profile field each coefficient of `COEFFICIENTS` sets, and what its bound means.
BOUND_MEANING = {
    "inv_gemm_max_efficiency": ("gemm_max_efficiency", "1.0: GEMMs at the peak rate"),
    "gemm_half_size_over_max_efficiency": ("gemm_half_size_flops", "its floor: no size dependence found"),
    "inv_attention_efficiency": ("attention_efficiency", "1.0: attention at the peak rate"),
    "elementwise_s_per_element": ("elementwise_s_per_element", "0: no memory-bound cost found"),
    "optimizer_s_per_param": ("optimizer_s_per_param", "0: no optimizer cost found"),
    "step_overhead_s": ("step_overhead_s", "0: no fixed per-step cost found"),
}


@dataclass(frozen=True)
class StepFit:
    model: StepModel
    r2: float
    rms_rel_error: float
    max_rel_error: float
    points: int
    at_bound: tuple[str, ...] = ()
    """Profile fields whose coefficient sits on its bound: the data do not determine them."""

    def goodness(self) -> dict[str, Any]:
        return {
            "step_time_r2": self.r2,
            "step_time_rms_rel_error": self.rms_rel_error,
            "step_time_max_rel_error": self.max_rel_error,
            "step_time_points": self.points,
            "at_bound": list(self.at_bound),
        }

    def warnings(self) -> list[str]:
        """One line per parameter the fit left on its bound."""
        meaning = {field: text for field, text in BOUND_MEANING.values()}
        return [f"{field} sits on its bound ({meaning[field]}); more varied points would pin it"
                for field in self.at_bound]  # fmt: skip


def fit_step_time(points: list[dict[str, Any]], peak_flops: float) -> StepFit:
    """Fit the step-time model to training points measured on one device."""
    if len(points) < len(COEFFICIENTS):
        raise ValueError(f"need at least {len(COEFFICIENTS)} training points to fit, got {len(points)}")
    rows, times = [], []
    for p in points:
        spec, batch, seq = point_model(p)
        rows.append(step_features(spec, batch, seq, peak_flops))
        times.append(measured_step_time_s(p))
    x, t = np.array(rows), np.array(times)
    a = x / t[:, None]  # relative residuals: (x c - t) / t
    scale = np.linalg.norm(a, axis=0)
    scale[scale == 0] = 1.0
    lower = np.zeros(len(COEFFICIENTS))
    lower[0] = 1.0  # 1 / gemm_max_efficiency >= 1
    lower[2] = 1.0  # attention products cannot beat peak either
    res = lsq_linear(a / scale, np.ones(len(t)), bounds=(lower * scale, np.full(len(lower), np.inf)))
    coef = res.x / scale
    if coef[1] < coef[0]:  # F_half of at least 1 FLOP (the schema requires > 0)
        coef[1] = coef[0]
    # A coefficient is on its bound when moving it there changes no point's step time by more
    # than BOUND_TOLERANCE: the measurements do not determine it.
    floor = lower.copy()
    floor[1] = coef[0]
    shift = np.max(np.abs((coef - floor) * a), axis=0)
    at_bound = {name for name, moved in zip(COEFFICIENTS, shift) if moved < BOUND_TOLERANCE}
    coef = np.where(shift < BOUND_TOLERANCE, floor, coef)  # report the bound, not numerical dust
    model = StepModel.from_coefficients(peak_flops, coef)
    predicted = np.array([predict_step_time(*point_model(p), model) for p in points])
    rel = predicted / t - 1.0
    r2 = 1.0 - float(np.sum((predicted - t) ** 2) / np.sum((t - t.mean()) ** 2)) if len(t) > 1 else 1.0
    fields = tuple(BOUND_MEANING[name][0] for name in COEFFICIENTS if name in at_bound)
    return StepFit(model, r2, float(np.sqrt(np.mean(rel**2))), float(np.max(np.abs(rel))), len(t), fields)


@dataclass(frozen=True)
class PowerFit:
    idle_power_w: float
    max_power_w: float
    activity: float
    rms_error_w: float
    points: int


def fit_activity(mean_powers_w: list[float], idle_power_w: float, max_power_w: float) -> PowerFit | None:
    """Least-squares activity in `P = idle + (max - idle) x activity`, clipped to [0, 1]."""
    if not mean_powers_w or max_power_w <= idle_power_w:
        return None
    span = max_power_w - idle_power_w
    activity = min(1.0, max(0.0, statistics.fmean((p - idle_power_w) / span for p in mean_powers_w)))
    model_w = idle_power_w + span * activity
    rms = float(np.sqrt(np.mean([(p - model_w) ** 2 for p in mean_powers_w])))
    return PowerFit(idle_power_w, max_power_w, activity, rms, len(mean_powers_w))


def per_device_power_w(point: dict[str, Any]) -> float | None:
    """Mean power of one device over a point's window (None without energy)."""
    if point.get("mean_power_w") is None:
        return None
    return float(point["mean_power_w"]) / int(point.get("world_size", 1))


def fit_profile_parameters(
    train_points: list[dict[str, Any]],
    inference_points: list[dict[str, Any]],
    *,
    peak_flops: float,
    idle_power_w: float | None,
    max_power_w: float | None,
) -> dict[str, Any]:
    """The `fitted:` block of a profile (FittedParameters fields plus the step-model terms)."""
    step = fit_step_time(train_points, peak_flops)
    largest = max(train_points, key=lambda p: p["flops_per_token"] * p["tokens_per_step"])
    out: dict[str, Any] = {
        # no end-to-end MFU override: the simulator composes the fitted GEMM curve and terms
        # for each model and layout; the largest point's MFU is kept for reference only
        "training_efficiency": None,
        "largest_config_mfu": float(largest["mfu"]),
        "gemm_max_efficiency": step.model.gemm_max_efficiency,
        "gemm_half_size_flops": step.model.gemm_half_size_flops,
        **{
            k: v
            for k, v in asdict(step.model).items()
            if k not in ("gemm_max_efficiency", "gemm_half_size_flops")
        },
        "peak_tflops": peak_flops / 1e12,
        "idle_power_w": idle_power_w,
        "max_power_w": max_power_w,
        "compute_activity": None,
        "memory_activity": None,
        "memory_efficiency": None,
        "prefill_efficiency": None,
        "energy_per_model_flop_j": None,
    }
    del out["peak_flops"]
    goodness: dict[str, Any] = step.goodness()
    train_w = [w for p in train_points if (w := per_device_power_w(p)) is not None]
    if idle_power_w is not None and max_power_w is not None:
        compute = fit_activity(train_w, idle_power_w, max_power_w)
        if compute:
            out["compute_activity"] = compute.activity
            goodness.update(train_power_rms_error_w=compute.rms_error_w, train_power_points=compute.points)
        decode_w = [w for p in inference_points if p["phase"] == "decode" and (w := per_device_power_w(p))]
        memory = fit_activity(decode_w, idle_power_w, max_power_w)
        if memory:
            out["memory_activity"] = memory.activity
            goodness.update(decode_power_rms_error_w=memory.rms_error_w, decode_power_points=memory.points)
    with_energy = [p for p in train_points if p.get("energy_j") is not None]
    if with_energy:
        flops = np.array([p["flops_per_token"] * p["tokens_per_step"] * p["steps"] for p in with_energy])
        energy = np.array([p["energy_j"] for p in with_energy])
        per_flop = float(np.sum(energy * flops) / np.sum(flops**2))
        out["energy_per_model_flop_j"] = per_flop
        goodness["energy_rms_rel_error"] = float(np.sqrt(np.mean((per_flop * flops / energy - 1) ** 2)))
    decode = [p for p in inference_points if p["phase"] == "decode"]
    if decode:
        out["memory_efficiency"] = min(1.0, statistics.median(p["memory_efficiency"] for p in decode))
    prefill = [p for p in inference_points if p["phase"] == "prefill"]
    if prefill:
        out["prefill_efficiency"] = min(1.0, statistics.median(p["flops_efficiency"] for p in prefill))
    out["goodness_of_fit"] = goodness
    out["warnings"] = step.warnings()
    return out
