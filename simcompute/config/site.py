"""The `site:` section: where the cluster runs (facility efficiency, grid, prices)."""

from __future__ import annotations

from pydantic import Field

from simcompute.config.base import Strict


class SiteConfig(Strict):
    """Facility and grid parameters. Region values come from the catalog unless overridden."""

    region: str = Field(description="catalog region id, e.g. 'us-west'")
    pue: float | None = Field(default=None, ge=1.0, le=5.0, description="constant PUE")
    carbon_intensity_g_per_kwh: float | None = Field(default=None, ge=0)
    electricity_usd_per_kwh: float | None = Field(default=None, ge=0)
    wue_l_per_kwh: float | None = Field(default=None, ge=0, description="on-site water per IT kWh")
    water_intensity_l_per_kwh: float | None = Field(
        default=None, ge=0, description="off-site water per kWh of electricity generated"
    )
