"""Calibration profiles: measured values that replace catalog defaults (README, "Calibrating on
your own GPU").

A profile is written by `simcompute calibrate` on one GPU type and applies only to it. The
simulator reads the `fitted` block; `provenance` and `points` document where it came from.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from simcompute.config.base import MAX_POWER_W
from simcompute.config.inputs import read_yaml_file
from simcompute.config.loader import format_validation_error
from simcompute.errors import ConfigError


class FittedParameters(BaseModel):
    """Parameters the simulator uses; any left out fall back to the catalog.

    Efficiency model: one GEMM of `F = 2 m n k` FLOPs on one GPU runs at
    `gemm_max_efficiency * F / (F + gemm_half_size_flops)` of dense peak (a saturating curve:
    small matrices, e.g. after tensor parallelism, run further from peak).
    Power model: GPU power = `idle_power_w + (max_power_w - idle_power_w) * activity`, with an
    activity per kind of phase (compute-bound, memory-bound, communication/bubbles).
    """

    model_config = ConfigDict(extra="allow", frozen=True, allow_inf_nan=False)

    training_efficiency: float | None = Field(default=None, gt=0, le=1, description="end-to-end MFU")
    gemm_max_efficiency: float | None = Field(default=None, gt=0, le=1)
    gemm_half_size_flops: float | None = Field(default=None, gt=0, le=1e18)
    memory_efficiency: float | None = Field(default=None, gt=0, le=1)
    idle_power_w: float | None = Field(default=None, ge=0, le=MAX_POWER_W)
    max_power_w: float | None = Field(default=None, gt=0, le=MAX_POWER_W)
    compute_activity: float | None = Field(default=None, ge=0, le=1)
    memory_activity: float | None = Field(default=None, ge=0, le=1)
    communication_activity: float | None = Field(default=None, ge=0, le=1)
    # Written by `simcompute calibrate` (calibration/stepmodel.py): the rest of the step-time
    # model fitted with the GEMM curve above, the peak it was fitted against, and inference.
    peak_tflops: float | None = Field(
        default=None, gt=0, le=1e6, description="peak the efficiencies refer to"
    )
    attention_efficiency: float | None = Field(default=None, gt=0, le=1)
    elementwise_s_per_element: float | None = Field(default=None, ge=0, le=1.0)
    optimizer_s_per_param: float | None = Field(default=None, ge=0, le=1.0)
    step_overhead_s: float | None = Field(default=None, ge=0, le=3600.0)
    prefill_efficiency: float | None = Field(default=None, gt=0, le=1)
    energy_per_model_flop_j: float | None = Field(default=None, gt=0, le=1.0)
    goodness_of_fit: dict[str, Any] = Field(default_factory=dict)
    warnings: list[str] = Field(default_factory=list, description="fitted values left on a bound")

    @model_validator(mode="after")
    def _idle_below_max(self) -> FittedParameters:
        if (
            self.idle_power_w is not None
            and self.max_power_w is not None
            and self.idle_power_w >= self.max_power_w
        ):
            raise ValueError(
                f"idle_power_w ({self.idle_power_w:g}) must be below max_power_w ({self.max_power_w:g})"
            )
        return self


class CalibrationProfile(BaseModel):
    """A calibration profile as stored on disk.

    `provenance`: device, driver, cuda, torch, date, host, power_limit_w, clocks_mhz,
    peak_tflops and peak_source (datasheet or measured), meter. `points`: one per measured
    training configuration (config, step times, tokens/s, achieved TFLOP/s, MFU, energy J,
    mean power W). `inference`: prefill and decode timings. `holdout`: predicted vs measured
    for configurations the fit did not see. `energy_available` is false (and `energy_note`
    says why) when the machine had no readable energy meter; power fields are then null.
    """

    model_config = ConfigDict(extra="allow", frozen=True)

    profile_version: int = Field(default=1, ge=1, le=1000)
    gpu: str = Field(max_length=200, description="catalog accelerator id the profile was measured on")
    provenance: dict[str, Any] = Field(default_factory=dict)
    points: list[dict[str, Any]] = Field(default_factory=list)
    fitted: FittedParameters = FittedParameters()
    inference: list[dict[str, Any]] = Field(default_factory=list)
    holdout: list[dict[str, Any]] = Field(default_factory=list)
    energy_available: bool | None = None
    energy_note: str | None = None
    path: str | None = Field(default=None, exclude=True)


def load_profile(path: str | Path) -> CalibrationProfile:
    """Read and validate a profile; errors name the file and the field."""
    path = Path(path)
    data = read_yaml_file(path, "calibration profile", field="calibration")
    if not isinstance(data, dict):
        raise ConfigError(
            "", "a calibration profile must be a mapping (gpu, provenance, fitted, ...)", str(path)
        )
    try:
        profile = CalibrationProfile.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(exc, str(path)) from None
    return profile.model_copy(update={"path": str(path)})
