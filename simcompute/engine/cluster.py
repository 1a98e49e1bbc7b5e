"""The cluster as nodes of GPU slots: placement, health, and who draws which power.

Every GPU slot belongs to exactly one ledger owner at any time: a training job (its GPUs),
a service replica that reserved it, `idle` (healthy and unheld, including GPUs stranded on a node a
job holds whole), or `failed` (on a node under repair; drawing idle power or nothing, as
`failures.failed_power` says). Free-GPU bookkeeping keeps nodes in buckets by their free
count, so placing or freeing a job touches only its own nodes; a whole node costs one list
store each way (its holder), no dict work.
"""

from __future__ import annotations

from itertools import islice
from typing import Any

import simpy

from simcompute.engine.ledger import PowerLedger
from simcompute.power import SlotPower
from simcompute.resolve import ClusterSpec

IDLE_OWNER = "idle"
FAILED_OWNER = "failed"
NO_POWER = SlotPower(gpu_w=0.0, host_w=0.0, network_w=0.0)


class Cluster:
    """Nodes of `gpus_per_node` GPUs; gang placement per GPU (packed) or per whole node."""

    def __init__(
        self,
        env: simpy.Environment,
        spec: ClusterSpec,
        ledger: PowerLedger,
        placement: str = "gpu",
        failed_power: SlotPower | None = None,
    ):
        self.env, self.spec, self.ledger = env, spec, ledger
        self.placement = placement
        self.gpn = spec.node.gpus_per_node
        self.nodes = spec.nodes
        self.total_gpus = spec.total_gpus
        self.free = [self.gpn] * self.nodes
        self.up = [True] * self.nodes
        self.down_until = [0.0] * self.nodes
        self.buckets: list[set[int]] = [set() for _ in range(self.gpn + 1)]
        self.buckets[self.gpn] = set(range(self.nodes))
        self.free_gpus = self.total_gpus  # healthy, unheld, unreserved (allocatable per GPU)
        self.busy_gpus = 0
        self.reserved_gpus = 0
        self.down_nodes = 0
        # Per holder: its whole nodes (an ordered dict used as a set) and (node, count) partials.
        self.holdings: dict[Any, tuple[dict[int, None], list[tuple[int, int]]]] = {}
        self.whole_of: list[Any] = [None] * self.nodes  # the holder of a whole node
        self.on_node: list[dict[Any, None]] = [{} for _ in range(self.nodes)]  # partial holders
        self.reserved_by: list[dict[Any, None]] = [{} for _ in range(self.nodes)]  # service replicas
        self.reservations: dict[Any, list[tuple[int, int]]] = {}
        self.idle_owner = ledger.add_owner(IDLE_OWNER)
        self._idle_power = spec.slot_power.idle
        self._failed_power = failed_power
        self.failed_owner = ledger.add_owner(FAILED_OWNER) if failed_power is not None else -1
        self.waiting = 0
        self._last_t = 0.0
        self.stranded_gpu_s = 0.0  # healthy GPUs left idle while jobs waited (fragmentation)
        self.waiting_s = 0.0
        self._update_idle()

    # -- accounting -------------------------------------------------------------------------

    @property
    def idle_gpus(self) -> int:
        return self.total_gpus - self.busy_gpus - self.reserved_gpus - self.down_nodes * self.gpn

    def _account(self) -> None:
        """Integrate the idle-while-jobs-wait GPU-seconds up to now (before a change)."""
        now = self.env.now
        if self.waiting and now > self._last_t:
            self.stranded_gpu_s += self.idle_gpus * (now - self._last_t)
            self.waiting_s += now - self._last_t
        self._last_t = now

    def set_waiting(self, count: int) -> None:
        """The scheduler tells how many jobs wait in its queue."""
        self._account()
        self.waiting = count

    def _update_idle(self) -> None:
        now = self.env.now
        self.ledger.set(self.idle_owner, now, self.idle_gpus, self._idle_power)
        if self._failed_power is not None:
            self.ledger.set(self.failed_owner, now, self.down_nodes * self.gpn, self._failed_power)

    def summary(self, end_s: float) -> dict[str, float]:
        """Time-integrated cluster state the ledger does not hold (for the `cluster` table)."""
        self._account()
        return {
            "idle_while_waiting_gpu_hours": self.stranded_gpu_s / 3600.0,
            "jobs_waiting_time_s": self.waiting_s,
        }

    def sync(self) -> None:
        """Write the idle and failed GPU counts to the ledger after a batch of changes."""
        self._update_idle()

    # -- capacity ---------------------------------------------------------------------------

    def units(self, gpus: int) -> int:
        """Placement units a job of `gpus` needs: GPUs, or whole nodes."""
        return gpus if self.placement == "gpu" else -(-gpus // self.gpn)

    def capacity(self) -> int:
        """Free placement units now: free GPUs, or wholly free healthy nodes."""
        return self.free_gpus if self.placement == "gpu" else len(self.buckets[self.gpn])

    def held_units(self, holder: Any) -> int:
        """Units a holder gives back when it releases (its GPUs, or its nodes)."""
        whole, partial = self.holdings[holder]
        if self.placement == "gpu":
            return len(whole) * self.gpn + sum(c for _, c in partial)
        return len(whole)

    def nodes_for(self, gpus: int) -> int:
        """Fewest nodes a job of `gpus` GPUs spans."""
        return -(-gpus // self.gpn)

    def fits(self, gpus: int) -> bool:
        return self.units(gpus) <= self.capacity()

    def fits_in_nodes(self, gpus: int, parts: int) -> bool:
        """Whether `parts` reservations of `gpus` GPUs each (at most a node's) can each be
        placed inside one node now: the best-fit choice `reserve` makes, replayed on the
        counts of nodes per free-GPU level."""
        if gpus * parts > self.free_gpus:
            return False
        nodes_with = [len(bucket) for bucket in self.buckets]  # nodes by free GPUs
        for _ in range(parts):
            level = next((k for k in range(gpus, self.gpn + 1) if nodes_with[k]), None)
            if level is None:
                return False
            nodes_with[level] -= 1
            nodes_with[level - gpus] += 1
        return True

    # -- placement --------------------------------------------------------------------------

    def _take(self, node: int, count: int) -> None:
        """Take `count` GPUs of `node`, which the caller has just popped from its bucket."""
        left = self.free[node] - count
        self.free[node] = left
        if left:
            self.buckets[left].add(node)
        self.free_gpus -= count

    def _give(self, node: int, count: int) -> None:
        free = self.free[node]
        if free:
            self.buckets[free].discard(node)
        self.free[node] = free + count
        self.buckets[free + count].add(node)
        self.free_gpus += count

    def _place(self, gpus: int, per_node: bool) -> tuple[list[int], list[tuple[int, int]]]:
        """Take `gpus` GPUs: whole free nodes first, then best-fit partial nodes.

        `per_node`: whole nodes only (the caller checked there are enough). Returns the whole
        nodes and the (node, count) partial picks. Any node of a bucket will do; sets hand one
        out in O(1), in an order fixed by the run's history (so runs are reproducible).
        """
        gpn, buckets, free = self.gpn, self.buckets, self.free
        full = buckets[gpn]
        count = -(-gpus // gpn) if per_node else min(gpus // gpn, len(full))
        whole = list(islice(full, count))
        full.difference_update(whole)
        for node in whole:
            free[node] = 0
        self.free_gpus -= count * gpn
        partial: list[tuple[int, int]] = []
        rest = 0 if per_node else gpus - count * gpn
        while rest > 0:
            # The fullest node that still holds the rest; else the node with most free GPUs.
            fit = next((k for k in range(rest, gpn + 1) if buckets[k]), None)
            if fit is None:
                fit = next(k for k in range(gpn, 0, -1) if buckets[k])
            node = buckets[fit].pop()
            take = min(rest, fit)
            self._take(node, take)
            partial.append((node, take))
            rest -= take
        return whole, partial

    def allocate(self, holder: Any, gpus: int) -> None:
        """Give `holder` `gpus` GPUs now (the caller checked `fits`).

        With node placement the holder gets whole nodes; GPUs beyond `gpus` on them stay in
        the idle owner (stranded) but nobody else can take them.
        """
        self._account()
        whole, partial = self._place(gpus, self.placement == "node")
        on_node = self.on_node
        whole_of = self.whole_of
        for node in whole:
            whole_of[node] = holder
        for node, _ in partial:
            on_node[node][holder] = None
        self.holdings[holder] = (dict.fromkeys(whole), partial)
        self.busy_gpus += gpus
        self._update_idle()

    def free_holder(self, holder: Any, gpus: int) -> None:
        """`holder` gives its GPUs back; those on failed nodes return at the node's repair."""
        self._account()
        whole, partial = self.holdings.pop(holder)
        on_node, up, free = self.on_node, self.up, self.free
        whole_of, gpn = self.whole_of, self.gpn
        for node in whole:
            whole_of[node] = None
        back = [node for node in whole if up[node]]
        for node in back:
            free[node] = gpn
        self.buckets[self.gpn].update(back)
        self.free_gpus += len(back) * self.gpn
        for node, count in partial:
            del on_node[node][holder]
            if up[node]:
                self._give(node, count)
        self.busy_gpus -= gpus
        self._update_idle()

    def reserve(self, holder: Any, count: int) -> None:
        """Reserve `count` GPUs now for `holder` (a service replica) until it `unreserve`s them.

        Raises `ValueError` when fewer are free; training jobs never get these. With
        `fits_in_nodes` checked first, they lie in one node. A failure of a node under a
        reservation reports its holder like any other (`fail_node`).
        """
        if count > self.free_gpus:
            raise ValueError(f"cannot reserve {count} GPUs: {self.free_gpus} are free")
        self._account()
        whole, partial = self._place(count, per_node=False)
        taken = [(n, self.gpn) for n in whole] + partial
        for node, _count in taken:
            self.reserved_by[node][holder] = None
        self.reservations[holder] = taken
        self.reserved_gpus += count
        self._update_idle()

    def unreserve(self, holder: Any) -> None:
        """`holder` gives back the GPUs `reserve` gave it; those on failed nodes return at repair."""
        self._account()
        up = self.up
        for node, c in self.reservations.pop(holder):
            del self.reserved_by[node][holder]
            if up[node]:
                self._give(node, c)
            self.reserved_gpus -= c
        self._update_idle()

    # -- health -----------------------------------------------------------------------------

    def fail_node(self, node: int, until_s: float) -> list[Any]:
        """Take `node` down until `until_s`; returns the holders on it (jobs, then service
        replicas), to interrupt; they give their GPUs back at once."""
        self._account()
        self.down_until[node] = max(self.down_until[node], until_s)
        if not self.up[node]:
            return []
        self.up[node] = False
        free = self.free[node]
        if free:
            self.buckets[free].discard(node)
            self.free_gpus -= free
        self.free[node] = 0
        self.down_nodes += 1
        # The caller interrupts these holders at once (their release calls `_update_idle`).
        holder = self.whole_of[node]
        jobs = [holder] if holder is not None else list(self.on_node[node])
        return jobs + list(self.reserved_by[node])

    def replace(self, holder: Any, node: int) -> bool:
        """Move `holder`'s GPUs on failed `node` to free healthy GPUs, if there are enough now
        (a spare takes over; the holder keeps the rest of its GPUs). False: no room."""
        whole, partial = self.holdings[holder]
        is_whole = node in whole
        count = self.gpn if is_whole else sum(c for n, c in partial if n == node)
        if self.units(count) > self.capacity():
            return False
        self._account()
        if is_whole:
            self.whole_of[node] = None
            del whole[node]
        else:
            del self.on_node[node][holder]
            partial[:] = [(n, c) for n, c in partial if n != node]
        new_whole, new_partial = self._place(count, self.placement == "node")
        for n in new_whole:
            self.whole_of[n] = holder
        for n, _ in new_partial:
            self.on_node[n][holder] = None
        whole.update(dict.fromkeys(new_whole))
        partial.extend(new_partial)
        return True

    def repair_node(self, node: int) -> bool:
        """Bring `node` back if its repair is due; False when a later failure extended it."""
        if self.up[node] or self.env.now < self.down_until[node]:
            return False
        self._account()
        self.up[node] = True
        self.down_nodes -= 1
        self._give(node, self.gpn)
        self._update_idle()
        return True
