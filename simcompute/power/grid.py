"""The grid behind the site: carbon intensity (average and marginal), price and off-site water.

Annual values come from the region table; optional hourly profiles (bundled examples or user
CSVs, see power/profiles.py) replace them hour by hour. Hours are counted from 1 January
00:00 of the run's start year, so a profile lines up with the calendar.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simcompute.power.profiles import HourlyProfile


@dataclass(frozen=True)
class Grid:
    """Grid figures of a site; constant unless hourly profiles are given."""

    carbon_intensity_g_per_kwh: float
    electricity_usd_per_kwh: float
    water_intensity_l_per_kwh: float
    marginal_carbon_intensity_g_per_kwh: float | None = None
    carbon_profile: HourlyProfile | None = None
    price_profile: HourlyProfile | None = None

    def co2_kg(self, energy_kwh: float) -> float:
        return energy_kwh * self.carbon_intensity_g_per_kwh / 1000.0

    def energy_cost_usd(self, energy_kwh: float) -> float:
        return energy_kwh * self.electricity_usd_per_kwh

    def hourly(self, hour_index: np.ndarray) -> dict[str, np.ndarray]:
        """Average and marginal intensity (g/kWh) and price (USD/kWh) at each absolute hour."""
        n = np.shape(hour_index)
        carbon = np.full(n, self.carbon_intensity_g_per_kwh, dtype=float)
        marginal = np.full(n, np.nan if self.marginal_carbon_intensity_g_per_kwh is None
                           else self.marginal_carbon_intensity_g_per_kwh)  # fmt: skip
        price = np.full(n, self.electricity_usd_per_kwh, dtype=float)
        if self.carbon_profile is not None:
            carbon = self.carbon_profile.at("carbon_intensity_g_per_kwh", hour_index)
            if "marginal_carbon_intensity_g_per_kwh" in self.carbon_profile.columns:
                marginal = self.carbon_profile.at("marginal_carbon_intensity_g_per_kwh", hour_index)
        if self.price_profile is not None:
            price = self.price_profile.at("price_usd_per_kwh", hour_index)
        return {"carbon": carbon, "marginal": marginal, "price": price}
