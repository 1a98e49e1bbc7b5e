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
Each policy is an object in `POLICIES` (like the routers of a service): the order of the
queue (`key`) and what it does when the head does not fit (`head_blocked`).
A job whose node fails keeps its other GPUs if free GPUs can replace the failed ones at
once (spares take over); otherwise it releases all and goes back to its original place in
the queue. Inference services claim GPUs too (at their submission, and for a replica whose
node failed): claims are granted first come first served, before any training job, and
while one waits no training job starts (services never preempt). A scheduling pass runs
once per instant at which something changed (coalesced), never on a clock.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable
from typing import Any, Protocol

import simpy

from simcompute.engine.cluster import Cluster
from simcompute.engine.failures import FailureProcess
from simcompute.engine.training import TrainingJob
from simcompute.records import Records

CLUSTER_WORKLOAD = "cluster"
"""`workload` of hardware events (node failures and repairs) in the events table."""


class ReservationHolder(Protocol):
    """What holds reserved GPUs (a service replica): told when a node under it fails."""

    def node_failed(self, detail: str) -> None: ...


class Claim:
    """GPUs a service asks for: `gpus` in one node for each of `holders` (a replica's tensor
    parallelism stays inside a node), all at once; `granted` fires then."""

    def __init__(self, holders: list[ReservationHolder], gpus: int, granted: simpy.Event):
        self.holders, self.gpus, self.granted = holders, gpus, granted


class Policy:
    """The queue order of training jobs, and what to do when the head does not fit."""

    def key(self, job: TrainingJob) -> tuple:
        return (job.spec.submit_s, job.seq)

    def head_blocked(self, scheduler: Scheduler) -> None:
        """The head of the queue does not fit now (FIFO: nothing passes it)."""


class Fifo(Policy):
    """Strictly in submission order."""


class Priority(Policy):
    """Highest priority first; preempts lower-priority running jobs to start the head."""

    def key(self, job: TrainingJob) -> tuple:
        return (-job.priority, job.spec.submit_s, job.seq)

    def head_blocked(self, scheduler: Scheduler) -> None:
        cluster, queue = scheduler.cluster, scheduler.queue
        while queue:
            head = queue[0][1]
            if cluster.fits(head.gpus):
                scheduler.start(0)
                continue
            victims = sorted(
                (j for j in scheduler.running if j.priority < head.priority),
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
                scheduler.interrupt(victim, "preemption", f"by={head.name}")
            scheduler.start(next(i for i, (_, j) in enumerate(queue) if j is head))


class EasyBackfill(Policy):
    """FIFO with EASY backfill behind a reservation for the head."""

    def head_blocked(self, scheduler: Scheduler) -> None:
        cluster, now, queue = scheduler.cluster, scheduler.env.now, scheduler.queue
        head = queue[0][1]
        need = cluster.units(head.gpus)
        available = cluster.capacity()
        if available == 0:
            return
        shadow, extra = math.inf, 0
        ends = sorted(
            ((now + j.expected_remaining_s(), j.seq, j) for j in scheduler.running), key=lambda x: x[:2]
        )
        for end, _, job in ends:
            available += cluster.held_units(job)
            if available >= need:
                shadow, extra = end, available - need
                break
        index = 1
        examined = 0
        while index < len(queue) and examined < scheduler.backfill_depth and cluster.capacity() > 0:
            job = queue[index][1]
            examined += 1
            if cluster.fits(job.gpus):
                units = cluster.units(job.gpus)
                if now + job.expected_remaining_s() <= shadow:
                    scheduler.start(index)
                    continue
                if units <= extra:
                    extra -= units
                    scheduler.start(index)
                    continue
            index += 1


POLICIES: dict[str, Callable[[], Policy]] = {"fifo": Fifo, "priority": Priority, "easy": EasyBackfill}
"""Scheduling policies by their `scheduling.policy` name."""


class Scheduler:
    """Queue, running set and policy; owns the order in which workloads get the cluster."""

    def __init__(
        self, env: simpy.Environment, cluster: Cluster, records: Records, policy: str, backfill_depth: int
    ):
        self.env, self.cluster, self.records = env, cluster, records
        self.failures: FailureProcess | None = None
        self.policy: Policy = POLICIES[policy]()
        self.backfill_depth = backfill_depth
        self.queue: list[tuple[Any, TrainingJob]] = []
        self.claims: list[Claim] = []
        self.running: dict[TrainingJob, None] = {}
        self.unfinished = 0
        self.done = env.event()
        self._pass_pending = False

    def add(self, job: TrainingJob) -> None:
        job.scheduler = self
        self.unfinished += 1

    # -- events from jobs, services and hardware --------------------------------------------

    def submit(self, job: TrainingJob) -> None:
        self._enqueue(job)

    def _enqueue(self, job: TrainingJob) -> None:
        bisect.insort(self.queue, (self.policy.key(job), job), key=lambda item: item[0])
        self.cluster.set_waiting(len(self.queue))
        self.request()

    def claim(self, holders: list[ReservationHolder], gpus: int, granted: simpy.Event) -> Claim:
        """Reserve `gpus` GPUs for each holder as soon as all fit (first come, first served)."""
        claim = Claim(holders, gpus, granted)
        self.claims.append(claim)
        self.request()
        return claim

    def withdraw(self, claim: Claim) -> None:
        """A claim no longer wanted (its service ended before it was granted)."""
        if claim in self.claims:
            self.claims.remove(claim)
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
        """A node fails: jobs and service replicas on it stop; it returns after `repair_s`
        (the failure model's callback)."""
        now = self.env.now
        holders = self.cluster.fail_node(node, now + repair_s)
        gpn = self.cluster.gpn
        self.records.event(now, CLUSTER_WORKLOAD, "node_failure", gpn, f"node={node} cause={cause}")
        detail = f"node={node} cause={cause}"
        for holder in holders:
            if not isinstance(holder, TrainingJob):
                holder.node_failed(detail)
            elif self.cluster.replace(holder, node):
                holder.restart_in_place(detail)
            else:
                self.interrupt(holder, "failure", detail)
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

    def start(self, index: int) -> None:
        """Start the queued job at `index` on GPUs the caller checked are free."""
        _, job = self.queue.pop(index)
        self.cluster.set_waiting(len(self.queue))
        self.cluster.allocate(job, job.gpus)
        self.running[job] = None
        job.start()

    def _grant_claims(self) -> bool:
        """Grant waiting service claims in order; True when none is left waiting."""
        claims, cluster = self.claims, self.cluster
        while claims and cluster.fits_in_nodes(claims[0].gpus, len(claims[0].holders)):
            claim = claims.pop(0)
            for holder in claim.holders:
                cluster.reserve(holder, claim.gpus)
            claim.granted.succeed()
        return not claims

    def _pass(self, _event: Any) -> None:
        self._pass_pending = False
        if self.claims and not self._grant_claims():
            return
        queue, cluster = self.queue, self.cluster
        while queue and cluster.fits(queue[0][1].gpus):
            self.start(0)
        if queue:
            self.policy.head_blocked(self)
