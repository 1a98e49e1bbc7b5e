"""Held-out check: predict configurations the fit has not seen, then compare with measurement.

The prediction uses only the profile (`calibration.stepmodel.predict_step_time` for time,
`idle + (max - idle) x compute_activity` for power, as the simulator does), so the error says
how well a profile calibrated on this machine predicts larger runs on it.
"""

from __future__ import annotations

from typing import Any

from calibration.fit import measured_step_time_s, point_model
from calibration.stepmodel import predict_step_time, step_model_from_fitted


def compare(
    fitted: dict[str, Any], measured: list[dict[str, Any]], largest_fitted_flops: float
) -> list[dict[str, Any]]:
    """Predicted vs measured step time and energy per step for each held-out point."""
    model = step_model_from_fitted(fitted)
    power_w = None
    if all(fitted.get(k) is not None for k in ("idle_power_w", "max_power_w", "compute_activity")):
        power_w = (
            fitted["idle_power_w"]
            + (fitted["max_power_w"] - fitted["idle_power_w"]) * fitted["compute_activity"]
        )
    rows = []
    for p in measured:
        spec, batch, seq = point_model(p)
        predicted_s = predict_step_time(spec, batch, seq, model)
        measured_s = measured_step_time_s(p)
        row: dict[str, Any] = {
            "key": p["key"],
            "flops_per_step": p["flops_per_token"] * p["tokens_per_step"],
            "flops_vs_largest_fitted": p["flops_per_token"] * p["tokens_per_step"] / largest_fitted_flops,
            "predicted_step_time_s": predicted_s,
            "measured_step_time_s": measured_s,
            "step_time_error_pct": 100.0 * (predicted_s / measured_s - 1.0),
            "predicted_energy_per_step_j": None,
            "measured_energy_per_step_j": None,
            "energy_error_pct": None,
        }
        if p.get("energy_j") is not None:
            row["measured_energy_per_step_j"] = p["energy_j"] / p["steps"]
        if power_w is not None:
            row["predicted_energy_per_step_j"] = power_w * p.get("world_size", 1) * predicted_s
        if row["measured_energy_per_step_j"] and row["predicted_energy_per_step_j"] is not None:
            row["energy_error_pct"] = 100.0 * (
                row["predicted_energy_per_step_j"] / row["measured_energy_per_step_j"] - 1
            )
        rows.append(row)
    return rows
