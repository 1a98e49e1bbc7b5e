"""The batch scheduler: a queue of training jobs and the policy that starts them.

Policies (gang scheduling throughout: a job starts only when all its GPUs are free):
- `fifo`: strictly in submission order; nothing passes a job that does not fit.
- `priority`: highest `priority` first (ties by submission); when the head does not fit,
  running jobs of lower priority are preempted (lowest priority, then latest started, first)
  if that frees enough room, else the head waits and nothing passes it.
- `easy`: FIFO with EASY backfill (Lifka 1995, "The ANL/IBM SP scheduling system"; Mu'alem &
  Feitelson 2001, IEEE TPDS 12(6)): the head gets a reservation at the earliest time enough
  GPUs free up (from running jobs' expected ends, failures not foreseen); a later job may start
  now if it fits and either ends before that time or uses only GPUs the head will not need.
A job whose node fails keeps its other GPUs if free GPUs can replace the failed ones at
once (spares take over); otherwise it releases all and goes back to its original place in
the queue. A scheduling pass runs once
per instant at which something changed (coalesced), never on a clock.
"""

from __future__ import annotations

import bisect
import math
from typing import Any

import simpy

from simcompute.engine.cluster import Cluster
from simcompute.engine.failures import FailureProcess
from simcompute.engine.training import TrainingJob
from simcompute.records import Records

CLUSTER_WORKLOAD = "cluster"
"""`workload` of hardware events (node failures and repairs) in the events table."""


class Scheduler:
    """Queue, running set and policy; owns the order in which jobs get the cluster."""

    def __init__(
        self, env: simpy.Environment, cluster: Cluster, records: Records, policy: str, backfill_depth: int
    ):
        self.env, self.cluster, self.records = env, cluster, records
        self.failures: FailureProcess | None = None
        self.policy, self.backfill_depth = policy, backfill_depth
        self.queue: list[tuple[Any, TrainingJob]] = []
        self.running: dict[TrainingJob, None] = {}
        self.unfinished = 0
        self.done = env.event()
        self._pass_pending = False

    def _key(self, job: TrainingJob) -> tuple:
        if self.policy == "priority":
            return (-job.priority, job.spec.submit_s, job.seq)
        return (job.spec.submit_s, job.seq)

    def add(self, job: TrainingJob) -> None:
        job.scheduler = self
        self.unfinished += 1

    # -- events from jobs and hardware -----------------------------------------------------

    def submit(self, job: TrainingJob) -> None:
        self._enqueue(job)

    def _enqueue(self, job: TrainingJob) -> None:
        bisect.insort(self.queue, (self._key(job), job), key=lambda item: item[0])
        self.cluster.set_waiting(len(self.queue))
        self.request()

    def finished(self, job: TrainingJob) -> None:
        del self.running[job]
        self.unfinished -= 1
        if self.unfinished == 0 and not self.done.triggered:
            self.done.succeed()
        self.request()

    def interrupt(self, job: TrainingJob, event: str, detail: str = "") -> None:
        """Stop a running job (failure or preemption) and queue it again."""
        del self.running[job]
        job.interrupt(event, detail)
        self._enqueue(job)

    def node_failed(self, node: int, repair_s: float, cause: str) -> None:
        """A node fails: jobs on it stop; it returns after `repair_s` (the failure model's
        callback)."""
        now = self.env.now
        holders = self.cluster.fail_node(node, now + repair_s)
        if holders is None:
            return
        gpn = self.cluster.gpn
        self.records.event(now, CLUSTER_WORKLOAD, "node_failure", gpn, f"node={node} cause={cause}")
        for job in holders:
            detail = f"node={node} cause={cause}"
            if self.cluster.replace(job, node):
                job.restart_in_place(detail)
            else:
                self.interrupt(job, "failure", detail)
        self.cluster.sync()
        self.env.timeout(repair_s).callbacks.append(lambda _e: self._repaired(node))

    def _repaired(self, node: int) -> None:
        if self.cluster.repair_node(node):
            self.records.event(self.env.now, CLUSTER_WORKLOAD, "repair", self.cluster.gpn, f"node={node}")
            if self.failures is not None:
                self.failures.renew(node)
            self.request()

    def request(self) -> None:
        """Run a scheduling pass at the current instant, once, after the events pending now."""
        if not self._pass_pending:
            self._pass_pending = True
            self.env.timeout(0).callbacks.append(self._pass)

    # -- the pass ---------------------------------------------------------------------------

    def _start(self, index: int) -> None:
        _, job = self.queue.pop(index)
        self.cluster.set_waiting(len(self.queue))
        self.cluster.allocate(job, job.gpus)
        self.running[job] = None
        job.start()

    def _pass(self, _event: Any) -> None:
        self._pass_pending = False
        queue, cluster = self.queue, self.cluster
        while queue and cluster.fits(queue[0][1].gpus):
            self._start(0)
        if not queue:
            return
        if self.policy == "priority":
            self._preempt_for_head()
        elif self.policy == "easy":
            self._backfill()

    def _preempt_for_head(self) -> None:
        cluster = self.cluster
        while self.queue:
            head = self.queue[0][1]
            if cluster.fits(head.gpus):
                self._start(0)
                continue
            victims = sorted(
                (j for j in self.running if j.priority < head.priority),
                key=lambda j: (j.priority, -(j.held_since or 0.0), -j.seq),
            )
            need = cluster.units(head.gpus) - cluster.capacity()
            chosen, freed = [], 0
            for victim in victims:
                if freed >= need:
                    break
                chosen.append(victim)
                freed += cluster.held_units(victim)
            if freed < need:
                return
            for victim in chosen:
                self.interrupt(victim, "preemption", f"by={head.name}")
            self._start(next(i for i, (_, j) in enumerate(self.queue) if j is head))

    def _backfill(self) -> None:
        cluster, now = self.cluster, self.env.now
        head = self.queue[0][1]
        need = cluster.units(head.gpus)
        available = cluster.capacity()
        if available == 0:
            return
        shadow, extra = math.inf, 0
        ends = sorted(((now + j.expected_remaining_s(), j.seq, j) for j in self.running), key=lambda x: x[:2])
        for end, _, job in ends:
            available += cluster.held_units(job)
            if available >= need:
                shadow, extra = end, available - need
                break
        index = 1
        examined = 0
        while index < len(self.queue) and examined < self.backfill_depth and cluster.capacity() > 0:
            job = self.queue[index][1]
            examined += 1
            if cluster.fits(job.gpus):
                units = cluster.units(job.gpus)
                if now + job.expected_remaining_s() <= shadow:
                    self._start(index)
                    continue
                if units <= extra:
                    extra -= units
                    self._start(index)
                    continue
            index += 1
