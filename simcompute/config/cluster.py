"""The `cluster:` section: which nodes, how many, which network, power caps and costs."""

from __future__ import annotations

from pydantic import Field, model_validator

from simcompute.config.base import (
    MAX_GPU_HOUR_USD,
    MAX_LIFETIME_YEARS,
    MAX_NODES,
    MAX_POWER_W,
    MAX_USD,
    Strict,
    field_error,
)


class OwnedCostConfig(Strict):
    """Owned hardware: capex amortised over its life, plus colocation by the provisioned kW."""

    capex_usd_per_node: float = Field(
        ge=0, le=MAX_USD, description="purchase price of one node (GPUs included)"
    )
    network_capex_usd_per_node: float = Field(
        default=0.0, ge=0, le=MAX_USD, description="switches, optics, cables per node"
    )
    lifetime_years: float = Field(default=5.0, gt=0, le=MAX_LIFETIME_YEARS)
    colocation_usd_per_kw_month: float = Field(
        default=0.0, ge=0, le=MAX_USD, description="per kW of rated node power"
    )


class EmbodiedConfig(Strict):
    """Overrides of the bundled embodied-carbon table (catalog/data/embodied.yaml)."""

    gpu_kgco2e: float | None = Field(default=None, ge=0, le=1e6)
    server_kgco2e: float | None = Field(default=None, ge=0, le=1e7, description="one node without its GPUs")
    lifetime_years: float | None = Field(default=None, gt=0, le=MAX_LIFETIME_YEARS)


class ClusterConfig(Strict):
    """A homogeneous cluster of catalog nodes joined by one fabric."""

    node: str = Field(max_length=200, description="catalog node id, e.g. 'dgx-a100-80gb'")
    nodes: int = Field(gt=0, le=MAX_NODES)
    fabric: str | None = Field(
        default=None, max_length=200, description="catalog fabric id, e.g. 'ib-hdr-200'"
    )
    gpu_power_limit_w: float | None = Field(default=None, gt=0, le=MAX_POWER_W)
    gpu_hour_usd: float | None = Field(
        default=None, ge=0, le=MAX_GPU_HOUR_USD, description="rental price per GPU-hour"
    )
    owned: OwnedCostConfig | None = Field(
        default=None, description="owned-hardware cost instead of gpu_hour_usd"
    )
    embodied: EmbodiedConfig | None = None
    measured_power_per_gpu_w: float | None = Field(
        default=None,
        gt=0,
        le=MAX_POWER_W,
        description="measured system power per busy GPU (GPU + host + network share); replaces the model",
    )

    @model_validator(mode="after")
    def _one_cost_mode(self) -> ClusterConfig:
        if self.owned is not None and self.gpu_hour_usd is not None:
            raise field_error(
                "owned", "give either `gpu_hour_usd` (cloud) or `owned:` (owned hardware), not both"
            )
        return self
