"""Resolve `site:` into the facility model (constant PUE or weather-driven cooling) and the grid."""

from __future__ import annotations

from dataclasses import dataclass

from simcompute.catalog import Catalog, Region
from simcompute.config import Scenario
from simcompute.config.base import MAX_CARBON_G_PER_KWH, MAX_PRICE_USD_PER_KWH
from simcompute.errors import ConfigError
from simcompute.power import DEFAULT_PUE, DEFAULT_WUE_L_PER_KWH, ConstantPue, Grid
from simcompute.power.facility import CoolingModel
from simcompute.power.profiles import read_profile
from simcompute.power.weather import (
    Weather,
    climate_weather,
    csv_weather,
    hours_since_new_year,
    load_climates,
)
from simcompute.resolve.cluster import ClusterSpec
from simcompute.resolve.common import lookup


@dataclass(frozen=True)
class SiteSpec:
    """Facility and grid of the site.

    `start_hour` is t = 0 in hours since 1 January 00:00 of the start year: weather and hourly
    profiles are looked up at `start_hour + t / 3600`.
    """

    region: Region
    facility: ConstantPue | CoolingModel
    grid: Grid
    wue_l_per_kwh: float
    weather: Weather | None = None
    start_hour: float = 0.0
    water_from_cooling: bool = False


def resolve_site(scenario: Scenario, catalog: Catalog, cluster: ClusterSpec | None = None) -> SiteSpec:
    cfg = scenario.site
    region = lookup("site.region", catalog.region, cfg.region)

    def pick(override: float | None, default: float | None) -> float:
        return override if override is not None else (default or 0.0)

    grid = Grid(
        carbon_intensity_g_per_kwh=pick(cfg.carbon_intensity_g_per_kwh, region.carbon_intensity_g_per_kwh),
        electricity_usd_per_kwh=pick(cfg.electricity_usd_per_kwh, region.electricity_usd_per_kwh),
        water_intensity_l_per_kwh=pick(cfg.water_intensity_l_per_kwh, region.water_intensity_l_per_kwh),
        marginal_carbon_intensity_g_per_kwh=(
            cfg.marginal_carbon_intensity_g_per_kwh
            if cfg.marginal_carbon_intensity_g_per_kwh is not None
            else region.marginal_carbon_intensity_g_per_kwh
        ),
        carbon_profile=(
            read_profile("site.grid_profile", cfg.grid_profile, ("carbon_intensity_g_per_kwh",),
                         ("marginal_carbon_intensity_g_per_kwh",), maximum=MAX_CARBON_G_PER_KWH)
            if cfg.grid_profile else None
        ),
        price_profile=(
            read_profile("site.price_profile", cfg.price_profile, ("price_usd_per_kwh",),
                         maximum=MAX_PRICE_USD_PER_KWH)
            if cfg.price_profile else None
        ),
    )  # fmt: skip
    facility: ConstantPue | CoolingModel
    weather = None
    if cfg.cooling is None:
        facility = ConstantPue(cfg.pue if cfg.pue is not None else DEFAULT_PUE)
    else:
        cool = cfg.cooling
        if cool.weather_csv:
            weather = csv_weather("site.cooling.weather_csv", cool.weather_csv)
        else:
            climates = load_climates()
            if region.id not in climates:
                raise ConfigError(
                    "site.cooling",
                    f"region '{region.id}' has no bundled climate (have: {', '.join(sorted(climates))}); "
                    "give site.cooling.weather_csv",
                )
            weather = climate_weather(climates[region.id])
        design_w = cool.design_it_kw * 1000.0 if cool.design_it_kw else _rated_it_w(cluster)
        overrides = {
            k: v for k, v in cool.model_dump(exclude={"weather_csv", "design_it_kw"}).items() if v is not None
        }
        facility = CoolingModel(design_it_w=design_w, **overrides)
    return SiteSpec(
        region=region,
        facility=facility,
        grid=grid,
        wue_l_per_kwh=pick(cfg.wue_l_per_kwh, DEFAULT_WUE_L_PER_KWH),
        weather=weather,
        start_hour=hours_since_new_year(cfg.start),
        water_from_cooling=cfg.cooling is not None and cfg.wue_l_per_kwh is None,
    )


def _rated_it_w(cluster: ClusterSpec | None) -> float:
    if cluster is None:
        raise ConfigError("site.cooling.design_it_kw", "required when the cluster is not known")
    return cluster.total_gpus * cluster.slot_power.provisioned_w
