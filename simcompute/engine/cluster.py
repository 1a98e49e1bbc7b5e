"""The cluster as a pool of GPU slots; unallocated slots form the idle owner and draw idle power."""

from __future__ import annotations

import simpy

from simcompute.engine.ledger import PowerLedger
from simcompute.resolve import ClusterSpec

IDLE_OWNER = "idle"


class Cluster:
    """Gang allocation of GPUs (a job gets all it asks for or waits), with idle-power tracking."""

    def __init__(self, env: simpy.Environment, spec: ClusterSpec, ledger: PowerLedger):
        self.env = env
        self.spec = spec
        self.ledger = ledger
        self.gpus = simpy.Container(env, capacity=spec.total_gpus, init=spec.total_gpus)
        self.idle_owner = ledger.add_owner(IDLE_OWNER)
        self._idle_power = spec.slot_power.idle
        self._update_idle()

    def _update_idle(self) -> None:
        self.ledger.set(self.idle_owner, self.env.now, int(self.gpus.level), self._idle_power)

    def acquire(self, count: int):
        """SimPy event that fires once `count` GPUs are granted."""
        request = self.gpus.get(count)
        request.callbacks.append(lambda _event: self._update_idle())
        return request

    def reserve(self, count: int) -> None:
        """Take `count` GPUs now, for a service that holds them for the whole run.

        Raises `ValueError` when fewer are free; workloads that wait for GPUs never get these.
        """
        if count > self.gpus.level:
            raise ValueError(f"cannot reserve {count} GPUs: {int(self.gpus.level)} are free")
        self.gpus.get(count)
        self._update_idle()

    def release(self, count: int) -> None:
        self.gpus.put(count)
        self._update_idle()
