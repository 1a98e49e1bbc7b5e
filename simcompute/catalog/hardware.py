"""Hardware records: accelerators, nodes, fabrics and per-generation efficiency parameters.

All numbers are plain floats in the units named by the field; `sources` maps each numeric
field name to the citation that sits beside it in the bundled YAML.
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType

from pydantic import BaseModel, ConfigDict, Field, field_serializer, field_validator

from simcompute.units import BYTES_PER_GIB

from .errors import CatalogError

DEFAULT_NICS_PER_NODE = 8  # DGX/HGX: one compute NIC per GPU (rail-optimised)

PRECISIONS = ("fp32", "tf32", "fp16", "bf16", "fp8", "int8", "fp4")


class _Record(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    sources: Mapping[str, str] = Field(default_factory=dict)

    @field_validator("sources", mode="after")
    @classmethod
    def _freeze_sources(cls, v: Mapping[str, str]) -> Mapping[str, str]:
        return MappingProxyType(dict(v))

    @field_serializer("sources")
    def _dump_sources(self, v: Mapping[str, str]) -> dict:
        return dict(v)


class Accelerator(_Record):
    name: str
    vendor: str
    generation: str
    memory_gib: float
    hbm_bandwidth_tbps: float
    tdp_w: float
    idle_power_w: float
    scaleup_bandwidth_gbps: float
    peak_tflops: Mapping[str, float]
    list_price_usd_per_gpu_hour: float | None = None  # on-demand cloud rental; None: unknown

    @field_validator("peak_tflops", mode="after")
    @classmethod
    def _check_peaks(cls, v: Mapping[str, float]) -> Mapping[str, float]:
        bad = [k for k in v if k not in PRECISIONS]
        if bad:
            raise ValueError(f"unknown precision(s) {bad}; allowed: {', '.join(PRECISIONS)}")
        return MappingProxyType({k: float(x) for k, x in v.items()})

    @field_serializer("peak_tflops")
    def _dump_peaks(self, v: Mapping[str, float]) -> dict:
        return dict(v)

    @property
    def memory_bytes(self) -> float:
        return self.memory_gib * BYTES_PER_GIB

    @property
    def hbm_bandwidth_bytes_per_s(self) -> float:
        return self.hbm_bandwidth_tbps * 1e12

    def peak_flops(self, precision: str) -> float:
        """Dense peak in FLOP/s (or OP/s for int8) for `precision`.

        No silent substitution: a chip without bf16 (V100, T4) raises rather than
        answering with its fp16 peak, so scenarios state what they mean.
        """
        p = precision.lower()
        if p not in PRECISIONS:
            raise CatalogError(f"unknown precision {precision!r}; use one of {', '.join(PRECISIONS)}")
        if p not in self.peak_tflops:
            have = ", ".join(self.peak_tflops)
            hint = ""
            if p == "bf16" and "fp16" in self.peak_tflops:
                hint = "; use fp16"
            elif p == "fp16" and "bf16" in self.peak_tflops:
                hint = "; use bf16"
            raise CatalogError(f"{self.id} has no {p} peak{hint} (has: {have})")
        return self.peak_tflops[p] * 1e12


class Generation(_Record):
    typical_mfu: float = Field(gt=0, le=1, description="only for FLOPs-only jobs without an architecture")
    gemm_efficiency_max: float = Field(gt=0, le=1)
    memory_efficiency: float = Field(gt=0, le=1)
    training_activity: float = Field(ge=0, le=1)
    decode_activity: float = Field(ge=0, le=1)
    gemm_half_size_flops: float = Field(gt=0)
    attention_efficiency: float = Field(gt=0, le=1)
    communication_activity: float = Field(ge=0, le=1)
    dp_overlap_fraction: float = Field(ge=0, le=1)
    low_precision_gemm_ratio: float = Field(
        gt=0,
        le=1,
        description="sustained fp8/fp4 GEMM efficiency over the 16-bit one; 1 where none is measured",
    )


class Node(_Record):
    name: str
    gpu: str
    gpus_per_node: int = Field(gt=0)
    nvlink_bandwidth_gbps: float
    host_power_idle_w: float
    host_power_max_w: float
    rated_power_w: float


class Fabric(_Record):
    name: str
    bandwidth_gbps: float
    latency_us: float
    switch_power_w_per_port: float
    switch_ports_per_nic: float

    @property
    def switch_power_w_per_nic(self) -> float:
        """Switch power attributable to one endpoint NIC (per-port power x ports it uses)."""
        return self.switch_power_w_per_port * self.switch_ports_per_nic

    @property
    def switch_power_w_per_node(self) -> float:
        """Switch power for one node with DEFAULT_NICS_PER_NODE rails (one NIC per GPU, DGX style).

        Use `switch_power_w_for(nics)` for nodes with a different NIC count.
        """
        return self.switch_power_w_for(DEFAULT_NICS_PER_NODE)

    def switch_power_w_for(self, nics: int) -> float:
        """Switch power attributable to `nics` endpoint NICs."""
        return self.switch_power_w_per_nic * nics
