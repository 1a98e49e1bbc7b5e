"""Resolve `site:` into the facility model and the grid."""

from __future__ import annotations

from dataclasses import dataclass

from simcompute.catalog import Catalog, Region
from simcompute.config import Scenario
from simcompute.power import DEFAULT_PUE, DEFAULT_WUE_L_PER_KWH, ConstantPue, Grid
from simcompute.resolve.common import lookup


@dataclass(frozen=True)
class SiteSpec:
    """Facility and grid of the site."""

    region: Region
    facility: ConstantPue
    grid: Grid
    wue_l_per_kwh: float


def resolve_site(scenario: Scenario, catalog: Catalog) -> SiteSpec:
    cfg = scenario.site
    region = lookup("site.region", catalog.region, cfg.region)

    def pick(override: float | None, default: float | None) -> float:
        return override if override is not None else (default or 0.0)

    grid = Grid(
        carbon_intensity_g_per_kwh=pick(cfg.carbon_intensity_g_per_kwh, region.carbon_intensity_g_per_kwh),
        electricity_usd_per_kwh=pick(cfg.electricity_usd_per_kwh, region.electricity_usd_per_kwh),
        water_intensity_l_per_kwh=pick(cfg.water_intensity_l_per_kwh, region.water_intensity_l_per_kwh),
    )
    return SiteSpec(
        region=region,
        facility=ConstantPue(cfg.pue if cfg.pue is not None else DEFAULT_PUE),
        grid=grid,
        wue_l_per_kwh=pick(cfg.wue_l_per_kwh, DEFAULT_WUE_L_PER_KWH),
    )
