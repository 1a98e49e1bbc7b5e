"""The grid behind the site: carbon intensity, electricity price and off-site water."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Grid:
    """Annual-average grid figures for a site (constant over time)."""

    carbon_intensity_g_per_kwh: float
    electricity_usd_per_kwh: float
    water_intensity_l_per_kwh: float

    def co2_kg(self, energy_kwh: float) -> float:
        return energy_kwh * self.carbon_intensity_g_per_kwh / 1000.0

    def energy_cost_usd(self, energy_kwh: float) -> float:
        return energy_kwh * self.electricity_usd_per_kwh

    def water_l(self, energy_kwh: float) -> float:
        """Off-site water consumed to generate `energy_kwh`."""
        return energy_kwh * self.water_intensity_l_per_kwh
