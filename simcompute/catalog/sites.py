"""Grid regions: carbon intensity, electricity price and water intensity of electricity."""

from __future__ import annotations

from pydantic import Field

from .hardware import _Record


class Region(_Record):
    name: str
    carbon_intensity_g_per_kwh: float = Field(ge=0)
    electricity_usd_per_kwh: float = Field(ge=0)
    water_intensity_l_per_kwh: float | None = Field(default=None, ge=0)
    marginal_carbon_intensity_g_per_kwh: float | None = Field(default=None, ge=0)
    year: int
