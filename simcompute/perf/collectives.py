"""Alpha-beta cost of collectives (Thakur, Rabenseifner, Gropp 2005, "Optimization of Collective
Communication Operations in MPICH", IJHPCA 19(1)).

A collective over `n` ranks on a link of per-GPU bandwidth `B` (bytes/s, one direction) and
per-hop latency `alpha` costs `steps * alpha + volume / B`. Ring all-reduce moves
`2 (n-1)/n * bytes` per GPU in `2 (n-1)` steps; reduce-scatter and all-gather are each half
of that; all-to-all sends `(n-1)/n * bytes` in `n-1` steps; a point-to-point send is one step.
`bytes` is always the full (unsharded) buffer size on one GPU; an empty buffer costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass

# Achieved fraction of link bandwidth for large NCCL collectives ("bus bandwidth" in
# nccl-tests terms). NVLink: nccl-tests all_reduce on DGX A100 reaches ~230-240 GB/s bus
# bandwidth of 300 GB/s (NVIDIA nccl-tests PERFORMANCE.md, DGX A100 results)
# https://github.com/NVIDIA/nccl-tests/blob/master/doc/PERFORMANCE.md -> 0.78.
NVLINK_EFFICIENCY = 0.78
# InfiniBand/RoCE with GPUDirect RDMA: ~90% of line rate per NIC in nccl-tests multi-node
# all_reduce (same source; e.g. ~23 of 25 GB/s per HDR rail) -> 0.9.
FABRIC_EFFICIENCY = 0.9
# NVLink/NVSwitch per-hop latency for a small NCCL message (~2-3 us incl. kernel launch;
# NVIDIA nccl-tests small-message all_reduce latency on DGX A100, same source).
NVLINK_LATENCY_S = 2.5e-6


@dataclass(frozen=True)
class Link:
    """One GPU's path into a collective: bandwidth in bytes/s (one direction) and latency in s."""

    bandwidth_bytes_per_s: float
    latency_s: float

    @classmethod
    def nvlink(cls, bandwidth_gbps: float) -> Link:
        """An NVLink/NVSwitch path of `bandwidth_gbps` GB/s per GPU, one direction."""
        return cls(bandwidth_gbps * 1e9 * NVLINK_EFFICIENCY, NVLINK_LATENCY_S)

    @classmethod
    def fabric(cls, bandwidth_gbps: float, latency_us: float) -> Link:
        """An inter-node path: one NIC of `bandwidth_gbps` GB/s per GPU (rail-optimised)."""
        return cls(bandwidth_gbps * 1e9 * FABRIC_EFFICIENCY, latency_us * 1e-6)


def all_reduce_alpha_beta(n: int, link: Link) -> tuple[float, float]:
    """(seconds, seconds per byte) of a ring all-reduce over `n` ranks: `alpha + beta * nbytes`."""
    if n <= 1:
        return 0.0, 0.0
    return 2 * (n - 1) * link.latency_s, 2.0 * (n - 1) / n / link.bandwidth_bytes_per_s


def all_reduce_s(nbytes: float, n: int, link: Link) -> float:
    """Ring all-reduce of `nbytes` over `n` ranks."""
    if n <= 1 or nbytes <= 0:
        return 0.0
    alpha, beta = all_reduce_alpha_beta(n, link)
    return alpha + beta * nbytes


def reduce_scatter_s(nbytes: float, n: int, link: Link) -> float:
    """Ring reduce-scatter of an `nbytes` buffer over `n` ranks (each keeps 1/n)."""
    if n <= 1 or nbytes <= 0:
        return 0.0
    return (n - 1) * link.latency_s + (n - 1) / n * nbytes / link.bandwidth_bytes_per_s


def all_gather_s(nbytes: float, n: int, link: Link) -> float:
    """Ring all-gather into an `nbytes` buffer over `n` ranks."""
    return reduce_scatter_s(nbytes, n, link)


def all_to_all_s(nbytes: float, n: int, link: Link) -> float:
    """All-to-all of an `nbytes` buffer per rank over `n` ranks (pairwise exchange)."""
    if n <= 1 or nbytes <= 0:
        return 0.0
    return (n - 1) * link.latency_s + (n - 1) / n * nbytes / link.bandwidth_bytes_per_s


def p2p_s(nbytes: float, link: Link) -> float:
    """One point-to-point send of `nbytes`."""
    return link.latency_s + nbytes / link.bandwidth_bytes_per_s
