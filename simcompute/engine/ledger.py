"""Exact energy accounting: piecewise-constant power per owner, closed at every change."""

from __future__ import annotations

import numpy as np

from simcompute.power import SlotPower
from simcompute.records import Records


class PowerLedger:
    """Tracks the power each owner (workload or idle pool) draws and records its segments.

    An owner's power is constant between calls to `set`; each call closes the running
    segment at `t_s` and opens a new one, so energy is the exact sum of power x duration.
    Each segment may carry a phase (an owner's own numbering: a training job's compute,
    checkpoint and restart); `energy_j[owner][phase]` sums the IT energy of its closed
    segments, so an owner's breakdown comes from the same segments as its total.
    """

    def __init__(self, records: Records):
        self._records = records
        self._state: list[tuple[float, int, float, float, float, int]] = []
        self.energy_j: list[list[float]] = []

    def add_owner(self, name: str, phases: int = 1) -> int:
        self._records.owners.append(name)
        self._state.append((0.0, 0, 0.0, 0.0, 0.0, 0))
        self.energy_j.append([0.0] * phases)
        return len(self._records.owners) - 1

    def set(self, owner: int, t_s: float, gpus: int, per_gpu: SlotPower, phase: int = 0) -> None:
        """From `t_s` on, `owner` holds `gpus` GPU slots each drawing `per_gpu` (in `phase`)."""
        self._close(owner, t_s)
        self._state[owner] = (
            t_s,
            gpus,
            gpus * per_gpu.gpu_w,
            gpus * per_gpu.host_w,
            gpus * per_gpu.network_w,
            phase,
        )

    def _close(self, owner: int, t_s: float) -> None:
        t0, gpus, gpu_w, host_w, net_w, phase = self._state[owner]
        if t_s > t0 and gpus > 0:
            self._records.power.append((owner, t0, t_s, gpus, gpu_w, host_w, net_w))
            self.energy_j[owner][phase] += (gpu_w + host_w + net_w) * (t_s - t0)

    def add_segments(
        self, owner: int, t_start: np.ndarray, t_end: np.ndarray, gpus: int, per_gpu: list[SlotPower],
        which: np.ndarray, phases: list[int] | None = None,
    ) -> None:  # fmt: skip
        """Record many closed segments of `owner` at once: segment i draws `per_gpu[which[i]]`
        (in phase `phases[which[i]]`, else 0).

        For timelines computed in closed form (a service's replicas, a training job's
        checkpoint writes); segments of one owner may overlap (several replicas), as energy
        and GPU-seconds simply add.
        """
        gpu_w = np.array([p.gpu_w for p in per_gpu]) * gpus
        host_w = np.array([p.host_w for p in per_gpu]) * gpus
        net_w = np.array([p.network_w for p in per_gpu]) * gpus
        self._records.power.extend(owner, t_start, t_end, gpus, gpu_w, host_w, net_w, which=which)
        seconds = np.bincount(which, weights=t_end - t_start, minlength=len(per_gpu))
        level_j = seconds * (gpu_w + host_w + net_w)
        energy = self.energy_j[owner]
        for level, joules in enumerate(level_j.tolist()):
            energy[phases[level] if phases else 0] += joules

    def close_all(self, t_s: float) -> None:
        """Close every open segment at the end of the run."""
        for owner in range(len(self._state)):
            self._close(owner, t_s)
            self._state[owner] = (t_s, 0, 0.0, 0.0, 0.0, 0)
