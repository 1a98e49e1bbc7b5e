"""The one simulated GPU of a cluster: what every workload asks for time and power.

`SimulatedGpu` is resolved once per cluster (`simcompute.resolve.cluster.simulated_gpu`) from
the catalog and the calibration profile, and carries a workload's power cap. Training
(`TrainingSystem`), inference (`estimate_replica`) and trace jobs all read their efficiencies
and their power model (activities per phase kind, DVFS under the cap) from it.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from simcompute.catalog import Accelerator
from simcompute.catalog.precision import LOW_PRECISION_COMPUTE
from simcompute.power.gpu import GpuPowerModel


@dataclass(frozen=True)
class SimulatedGpu:
    """One GPU type with its calibrated efficiencies and its power model (and cap).

    `gemm_max_efficiency`, `gemm_half_size_flops`: the GEMM efficiency curve
    (`simcompute.perf.efficiency`); `attention_efficiency`: fraction of peak of fused attention;
    `memory_efficiency`: achievable fraction of HBM bandwidth; `dp_overlap_fraction`: share of
    data-parallel gradient traffic hidden behind the backward pass; `typical_mfu`: end-to-end
    MFU for jobs given only as FLOPs; `measured_mfu`: a profile's measured end-to-end MFU (it
    rescales layout estimates), else None; `low_precision_gemm_ratio`: the generation's sustained
    fp8/fp4 GEMM efficiency over the 16-bit one (`gemm_efficiency`).
    """

    accelerator: Accelerator
    power: GpuPowerModel
    gemm_max_efficiency: float
    gemm_half_size_flops: float
    attention_efficiency: float
    memory_efficiency: float
    dp_overlap_fraction: float
    typical_mfu: float
    measured_mfu: float | None = None
    low_precision_gemm_ratio: float = 1.0

    def gemm_efficiency(self, compute_precision: str) -> float:
        """Sustained fraction of the peak of large GEMMs in `compute_precision`: the 16-bit
        `gemm_max_efficiency`, times `low_precision_gemm_ratio` for fp8/fp4 tensor cores."""
        if compute_precision in LOW_PRECISION_COMPUTE:
            return self.gemm_max_efficiency * self.low_precision_gemm_ratio
        return self.gemm_max_efficiency

    @property
    def cap_w(self) -> float | None:
        return self.power.cap_w

    def with_cap(self, cap_w: float | None) -> SimulatedGpu:
        """The same GPU under power cap `cap_w` (None: uncapped); ValueError if it cannot apply."""
        return replace(self, power=self.power.with_cap(cap_w))
