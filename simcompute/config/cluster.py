"""The `cluster:` section: which nodes, how many, which network, and power caps."""

from __future__ import annotations

from pydantic import Field

from simcompute.config.base import Strict


class ClusterConfig(Strict):
    """A homogeneous cluster of catalog nodes joined by one fabric."""

    node: str = Field(description="catalog node id, e.g. 'dgx-a100-80gb'")
    nodes: int = Field(gt=0)
    fabric: str | None = Field(default=None, description="catalog fabric id, e.g. 'ib-hdr-200'")
    gpu_power_limit_w: float | None = Field(default=None, gt=0)
    gpu_hour_usd: float | None = Field(default=None, ge=0, description="rental price per GPU-hour")
