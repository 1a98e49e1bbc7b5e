"""The `site:` section: where the cluster runs (facility efficiency, grid, prices)."""

from __future__ import annotations

from datetime import datetime

from pydantic import Field, field_validator, model_validator

from simcompute.config.base import (
    MAX_CARBON_G_PER_KWH,
    MAX_PRICE_USD_PER_KWH,
    MAX_WATER_L_PER_KWH,
    Strict,
    field_error,
)

MIN_START_YEAR, MAX_START_YEAR = 1900, 2200


class CoolingConfig(Strict):
    """Weather-driven cooling model (power/facility.py); every field defaults to a cited value."""

    weather_csv: str | None = Field(
        default=None, description="hourly CSV (hour, dry_bulb_c, wet_bulb_c); default: region climate table"
    )
    chilled_water_c: float | None = Field(default=None, ge=5, le=35)
    free_cooling_wet_bulb_c: float | None = Field(default=None, ge=-20, le=35)
    economiser_band_c: float | None = Field(default=None, gt=0, le=30)
    carnot_fraction: float | None = Field(default=None, gt=0, le=1)
    fan_pump_fraction: float | None = Field(default=None, ge=0, le=1)
    distribution_loss_fraction: float | None = Field(default=None, ge=0, le=1)
    other_fraction: float | None = Field(default=None, ge=0, le=1)
    design_it_kw: float | None = Field(
        default=None,
        gt=0,
        le=10_000_000,
        description="IT capacity the plant is sized for (default: the cluster's rated power)",
    )


class SiteConfig(Strict):
    """Facility and grid parameters. Region values come from the catalog unless overridden."""

    region: str = Field(max_length=200, description="catalog region id, e.g. 'us-west'")
    pue: float | None = Field(default=None, ge=1.0, le=5.0, description="constant PUE")
    cooling: CoolingConfig | None = Field(default=None, description="weather-driven cooling instead of `pue`")
    start: datetime = Field(
        default=datetime(2023, 1, 1), description="local date and time of t = 0 (weather and hourly profiles)"
    )
    carbon_intensity_g_per_kwh: float | None = Field(default=None, ge=0, le=MAX_CARBON_G_PER_KWH)
    marginal_carbon_intensity_g_per_kwh: float | None = Field(default=None, ge=0, le=MAX_CARBON_G_PER_KWH)
    electricity_usd_per_kwh: float | None = Field(default=None, ge=0, le=MAX_PRICE_USD_PER_KWH)
    grid_profile: str | None = Field(
        default=None,
        description="hourly carbon intensity: bundled profile name or CSV (hour, carbon_intensity_g_per_kwh"
        "[, marginal_carbon_intensity_g_per_kwh])",
    )
    price_profile: str | None = Field(
        default=None, description="hourly (time-of-use) price: bundled name or CSV (hour, price_usd_per_kwh)"
    )
    wue_l_per_kwh: float | None = Field(
        default=None, ge=0, le=MAX_WATER_L_PER_KWH, description="on-site water per IT kWh"
    )
    water_intensity_l_per_kwh: float | None = Field(
        default=None,
        ge=0,
        le=MAX_WATER_L_PER_KWH,
        description="off-site water per kWh of electricity generated",
    )

    @field_validator("start", mode="after")
    @classmethod
    def _local_time(cls, value: datetime) -> datetime:
        """A local wall-clock time: a UTC offset is dropped (profiles are in local hours)."""
        if not MIN_START_YEAR <= value.year <= MAX_START_YEAR:
            raise ValueError(f"year {value.year} is outside {MIN_START_YEAR}-{MAX_START_YEAR}")
        return value.replace(tzinfo=None)

    @model_validator(mode="after")
    def _one_facility_model(self) -> SiteConfig:
        if self.pue is not None and self.cooling is not None:
            raise field_error("cooling", "give either a constant `pue` or a `cooling:` model, not both")
        return self
