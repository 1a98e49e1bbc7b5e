"""Hardware cost per GPU-hour: rented (cloud) or owned (capex + network + colocation).

Energy is costed separately, at the hourly price, in the results; colocation prices are
taken as covering space, power and cooling infrastructure but not the energy itself.
"""

from __future__ import annotations

from dataclasses import dataclass

HOURS_PER_YEAR = 8760.0
HOURS_PER_MONTH = HOURS_PER_YEAR / 12.0


@dataclass(frozen=True)
class CloudCost:
    """Rented GPUs: a price per GPU-hour."""

    gpu_hour_usd: float

    @property
    def usd_per_gpu_hour(self) -> float:
        return self.gpu_hour_usd


@dataclass(frozen=True)
class OwnedCost:
    """Owned hardware: capex amortised linearly over its life, plus colocation by the kW."""

    capex_usd_per_node: float
    network_capex_usd_per_node: float
    lifetime_years: float
    colocation_usd_per_kw_month: float
    gpus_per_node: int
    provisioned_kw_per_gpu: float

    @property
    def usd_per_gpu_hour(self) -> float:
        capex = (self.capex_usd_per_node + self.network_capex_usd_per_node) / self.gpus_per_node
        amortised = capex / (self.lifetime_years * HOURS_PER_YEAR)
        colocation = self.colocation_usd_per_kw_month * self.provisioned_kw_per_gpu / HOURS_PER_MONTH
        return amortised + colocation
