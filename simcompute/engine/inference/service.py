"""An inference service on the cluster's clock: submitted, placed, served, failed, restarted.

What is event-driven and what is closed form: the service's life is SimPy processes (it is
submitted at `submit_at`, claims its GPUs from the scheduler and waits for them as training
jobs do; each replica serves until a node failure interrupts it, then claims new GPUs,
restarts and serves again). Between cluster events, the replicas' own timelines (arrivals,
prefills, completions, preemptions, and decode stretches summed in closed form) are carried
forward by `ServingClock`, which advances every running service up to the next event on the
cluster's clock; so a failure finds each replica exactly at its time, and the speed of the
closed form stays.
"""

from __future__ import annotations

import bisect
from typing import Any

import numpy as np
import simpy
from simpy.events import Event

from simcompute.engine.cluster import Cluster
from simcompute.engine.inference.batching import batching_policy
from simcompute.engine.inference.energy import ExcessWatts
from simcompute.engine.inference.replica import KV_WATERMARK, Replica
from simcompute.engine.inference.router import ROUTERS
from simcompute.engine.inference.state import RequestState
from simcompute.engine.ledger import PowerLedger
from simcompute.engine.scheduler import Scheduler
from simcompute.errors import ConfigError
from simcompute.power import SlotPowerModel
from simcompute.records import Records
from simcompute.resolve import InferenceServiceSpec
from simcompute.traffic import Requests, generate_requests

LATE = 2
"""SimPy priority of the serving clock's wake-ups: after every normal (1) and urgent (0) event
at the same time, so the clock sees that instant complete."""

ARRIVAL_BLOCK = 1 << 16
"""Arrival times are turned into Python floats this many at a time, not all at once."""


class ServiceRun:
    """The replicas, router and request stream of one service from its start at `start_s`.

    Requests arrive at `start_s` + their offset in the stream; those at or after `stop_s`
    never arrive. `advance(until)` carries the timelines up to `until`; `take_down` and
    `bring_up` follow the replicas' hardware; `close` ends the run.
    """

    def __init__(
        self,
        spec: InferenceServiceSpec,
        slot: SlotPowerModel,
        reqs: Requests,
        start_s: float = 0.0,
        stop_s: float = float("inf"),
    ):
        cfg = spec.config
        self.spec, self.slot, self.start_s = spec, slot, start_s
        self.tp = cfg.gpus_per_replica
        arrival_s = reqs.arrival_s + start_s
        if len(reqs) and arrival_s[-1] >= stop_s:  # requests after the horizon never arrive
            keep = arrival_s < stop_s
            arrival_s = arrival_s[keep]
            reqs = Requests(reqs.arrival_s[keep], reqs.prompt_tokens[keep], reqs.output_tokens[keep])
        step = spec.perf.step
        capacity = spec.kv_capacity_tokens
        if len(reqs):
            largest = int(np.max(reqs.prompt_tokens + reqs.output_tokens))
            if largest + 2 > capacity - int(KV_WATERMARK * capacity):
                raise ConfigError(
                    spec.path,
                    f"a request of {largest} tokens (prompt + output) does not fit the KV cache of a "
                    f"replica ({capacity} tokens); shorten requests or use more GPUs per replica",
                )
        idle_w = slot.idle.total_w
        tp = self.tp  # not `self` in the closure: no reference cycle keeps a finished run alive
        excess_w = ExcessWatts(lambda tokens: tp * (slot.at(step.activity(tokens)).total_w - idle_w))

        self.state = RequestState(Requests(arrival_s, reqs.prompt_tokens, reqs.output_tokens))
        policy = batching_policy(cfg)
        self.replicas: list[Replica] = [
            policy(
                i, step, excess_w, capacity,
                max_batch_size=cfg.max_batch_size, max_batch_tokens=cfg.max_batch_tokens,
                reference=cfg.mode == "reference", reserve_full_output=spec.engine.reserve_full_output,
                reqs=self.state,
            )
            for i in range(cfg.replicas)
        ]  # fmt: skip
        for replica in self.replicas:
            replica.t = start_s
        self.live = list(self.replicas)  # up and serving, in index order (the router's view)
        self.router = ROUTERS[cfg.router](self.live)
        self._arrival_s = arrival_s
        self._next = 0  # the first request not yet arrived
        self.min_end_s = start_s + (cfg.duration or 0.0)
        self.rerouted = self.lost = 0

    # -- carrying the timelines forward ---------------------------------------------------------

    def feed(self, until: float) -> None:
        """Route every request arriving before `until` (lost when no replica is up)."""
        first = self._next
        last = int(np.searchsorted(self._arrival_s, until, side="left"))
        if last <= first:
            return
        self._next = last
        live = self.live
        if not live:
            self.state.lost[first:last] = b"\x01" * (last - first)
            self.lost += last - first
            return
        for start in range(first, last, ARRIVAL_BLOCK):
            block = enumerate(self._arrival_s[start : min(last, start + ARRIVAL_BLOCK)].tolist(), start)
            if len(self.replicas) == 1:  # every router picks it (submit brings it up to t_s)
                submit = live[0].submit
                for rid, t_s in block:
                    submit(rid, t_s)
            else:
                choose = self.router.choose
                for rid, t_s in block:
                    choose(t_s).submit(rid, t_s)

    def advance(self, until: float) -> None:
        """Arrivals before `until` routed, and every replica's operations ending before it done."""
        self.feed(until)
        for replica in self.live:
            replica.advance(until)

    def drained_at(self) -> float | None:
        """When the service is done (every request arrived and answered, and its `duration`
        over), once that is known; None while work remains."""
        arrivals = self._arrival_s
        if self._next < len(arrivals) or any(r.outstanding for r in self.live):
            return None
        last = float(arrivals[-1]) if len(arrivals) else self.start_s
        return max([r.t for r in self.live] + [self.min_end_s, last])

    # -- hardware -----------------------------------------------------------------------------

    def take_down(self, replica: Replica, t_s: float) -> tuple[int, int]:
        """`replica`'s GPUs fail at `t_s`: its requests go to the replicas still up, or are
        lost if none is. Returns (re-routed, lost)."""
        self.advance(t_s)
        held = replica.fail(t_s)
        self.live.remove(replica)
        state = self.state
        if not self.live:
            for rid in held:
                state.lost[rid] = 1
            self.lost += len(held)
            return 0, len(held)
        choose = self.router.choose
        for rid in held:
            state.reroutes[rid] += 1
            choose(t_s).submit(rid, t_s)
        self.rerouted += len(held)
        return len(held), 0

    def bring_up(self, replica: Replica) -> None:
        """`replica` (restarted on new GPUs) serves from now."""
        bisect.insort(self.live, replica, key=lambda r: r.index)

    def close(self, end_s: float, placed: list[Replica]) -> None:
        """End at `end_s`: operations in flight are cut there; replicas on GPUs (`placed`)
        draw idle power up to it."""
        self.advance(end_s)
        for replica in placed:
            if replica in self.live:
                replica.finish(end_s)
            replica.segments.add(replica.t, end_s, 0)

    def run_to_end(self, stop_s: float = float("inf")) -> float:
        """Serve the whole stream with no failures (up to `stop_s`); returns the end time."""
        self.advance(stop_s)
        end = self.drained_at()
        end_s = stop_s if end is None else min(end, stop_s)
        self.close(end_s, self.replicas)
        return end_s

    # -- results ------------------------------------------------------------------------------

    @property
    def busy_s(self) -> float:
        return sum(r.busy_s for r in self.replicas)

    def write_power(self, ledger: PowerLedger, owner: int) -> None:
        """Every replica's segments into the ledger, at the power of each iteration's activity."""
        step = self.spec.perf.step
        for replica in self.replicas:
            t0, t1, tokens = replica.segments.columns()
            counts = np.bincount(tokens)  # the token levels in use, in O(segments)
            levels = np.flatnonzero(counts)
            lookup = np.zeros(len(counts), dtype=np.intp)
            lookup[levels] = np.arange(len(levels))
            which = np.take(lookup, tokens, out=tokens, mode="clip")  # level of each segment, in place
            per_gpu = [self.slot.at(step.activity(int(k)) if k > 0 else 0.0) for k in levels]
            ledger.add_segments(owner, t0, t1, self.tp, per_gpu, which)


class _Late(Event):
    """A timeout processed after every other event at its time (priority `LATE`)."""

    def __init__(self, env: simpy.Environment, delay_s: float):
        super().__init__(env)
        self._ok = True
        self._value = None
        env.schedule(self, LATE, delay_s)


class ServingClock:
    """Carries every running service forward between the cluster's events.

    It wakes once per instant at which anything happens on the clock, after everything else
    at that instant, advances each service up to the next scheduled event (nothing else can
    happen before it), and ends services that are done.
    """

    def __init__(self, env: simpy.Environment):
        self.env = env
        self.services: list[InferenceService] = []
        self.process: simpy.Process | None = None

    def add(self, service: InferenceService) -> None:
        self.services.append(service)
        if self.process is None or not self.process.is_alive:
            self.process = self.env.process(self._carry())

    def _carry(self):
        env = self.env
        while self.services:
            until = env.peek()
            wake = until
            for service in self.services:
                service.run.advance(until)
                end = service.run.drained_at()
                if end is not None and end <= until:
                    end = max(end, env.now)  # drained by a failure now, after its last arrival
                    service.end_s = end
                    wake = min(wake, end)
            yield _Late(env, wake - env.now)
            for service in [s for s in self.services if s.end_s is not None and s.end_s <= env.now]:
                self.services.remove(service)
                service.ended.succeed()


class ReplicaHolder:
    """Holds one replica's reserved GPUs on the cluster; told when a node under it fails."""

    def __init__(self, service: InferenceService, index: int):
        self.service, self.index = service, index
        self.process: simpy.Process | None = None

    def node_failed(self, detail: str) -> None:
        self.service.replica_failed(self, detail)


class InferenceService:
    """SimPy processes of one inference workload: submit, claim GPUs, serve, release."""

    def __init__(
        self,
        env: simpy.Environment,
        spec: InferenceServiceSpec,
        cluster: Cluster,
        scheduler: Scheduler,
        clock: ServingClock,
        ledger: PowerLedger,
        records: Records,
        rng: np.random.Generator,
        stop_s: float | None,
        restart_s: float,
    ):
        self.env, self.spec, self.cluster, self.records = env, spec, cluster, records
        self.scheduler, self.clock, self.ledger = scheduler, clock, ledger
        cfg = spec.config
        self.name, self.gpus, self.tp = spec.name, cfg.gpus, cfg.gpus_per_replica
        self.submit_s = cfg.submit_at
        self.stop_s = float("inf") if stop_s is None else stop_s
        self.restart_s = restart_s
        self.owner = ledger.add_owner(spec.name)
        self._reqs: Requests | None = generate_requests(cfg, rng, spec.path)
        self.holders = [ReplicaHolder(self, i) for i in range(cfg.replicas)]
        self.placed: dict[ReplicaHolder, float] = {}  # holders with GPUs now, and since when
        self.held_gpu_s = 0.0
        self.run: ServiceRun | None = None
        self.start_s: float | None = None
        self.end_s: float | None = None
        self.busy_s = 0.0
        self.failures = self.restarts = 0
        self.ended = env.event()
        self.process = env.process(self._life())

    # -- processes --------------------------------------------------------------------------

    def _life(self):
        env = self.env
        yield env.timeout(self.submit_s)
        self.records.event(env.now, self.name, "submit", self.gpus)
        granted = env.event()
        self.scheduler.claim(self.holders, self.tp, granted)
        yield granted
        self.start_s = now = env.now
        self.records.event(now, self.name, "start", self.gpus)
        assert self._reqs is not None
        self.run = ServiceRun(self.spec, self.cluster.spec.slot_power, self._reqs, now, self.stop_s)
        self._reqs = None
        for holder in self.holders:
            self.placed[holder] = now
            holder.process = env.process(self._replica_life(holder))
        self.clock.add(self)
        yield self.ended
        self._close(env.now)
        self.scheduler.request()  # waiting work may now fit
        self.records.event(env.now, self.name, "finish", self.gpus)

    def _replica_life(self, holder: ReplicaHolder):
        """Serve until the service ends; after a failure under it, claim GPUs and restart."""
        env = self.env
        while True:
            try:
                yield self.ended
                return
            except simpy.Interrupt:  # its node failed (`replica_failed` took it down): claim new GPUs
                pass
            while True:
                granted = env.event()
                claim = self.scheduler.claim([holder], self.tp, granted)
                yield granted | self.ended
                if not granted.triggered:
                    self.scheduler.withdraw(claim)
                    return
                assert self.run is not None
                self.placed[holder] = env.now
                replica = self.run.replicas[holder.index]
                self.records.event(env.now, self.name, "restart", self.tp, f"replica={holder.index}")
                self.restarts += 1
                replica.restart(env.now)  # idle power from now
                try:
                    yield env.timeout(self.restart_s)
                except simpy.Interrupt:  # failed again while restarting
                    replica.segments.add(replica.t, env.now, 0)
                    continue
                self.run.bring_up(replica)
                break

    def replica_failed(self, holder: ReplicaHolder, detail: str) -> None:
        """A node under `holder`'s replica failed now: its GPUs go back (the failed ones to
        repair) and its requests are re-routed or lost."""
        now = self.env.now
        assert self.run is not None and holder.process is not None
        replica = self.run.replicas[holder.index]
        if replica in self.run.live:
            moved, lost = self.run.take_down(replica, now)
        else:
            moved = lost = 0
        self._give_back(holder, now)
        self.failures += 1
        self.records.event(
            now,
            self.name,
            "failure",
            self.tp,
            f"replica={holder.index} rerouted={moved} lost={lost} {detail}",
        )
        holder.process.interrupt(detail)

    # -- the end ----------------------------------------------------------------------------

    def _close(self, end_s: float) -> None:
        """Cut the run at `end_s`, give every GPU back, write power and requests."""
        run = self.run
        if run is None:
            return
        self.end_s = end_s
        run.close(end_s, [run.replicas[h.index] for h in self.placed])
        for holder in list(self.placed):
            self._give_back(holder, end_s)
        run.write_power(self.ledger, self.owner)
        self.records.requests[self.name] = run.state.columns()
        self.busy_s = run.busy_s
        self.lost, self.rerouted = run.lost, run.rerouted
        self.run = None

    def _give_back(self, holder: ReplicaHolder, t_s: float) -> None:
        self.cluster.unreserve(holder)
        self.held_gpu_s += self.tp * (t_s - self.placed.pop(holder))

    def close(self, end_s: float) -> None:
        """The run ends at `end_s` (horizon) with the service still serving or waiting."""
        if self.run is not None:
            self._close(end_s)

    def row(self) -> dict[str, Any]:
        """One row of the `jobs` table."""
        cfg = self.spec.config
        cols = self.records.requests.get(self.name)
        started = self.start_s is not None
        outcome = cols["outcome"] if cols is not None else None
        done = np.isfinite(cols["finish_s"]) if cols is not None else np.zeros(0, dtype=bool)

        def count(kind: str) -> int:
            return int((outcome == kind).sum()) if outcome is not None else 0

        tokens = float(cols["output_tokens"][done].sum()) if cols is not None else 0.0
        return {
            "workload": self.name,
            "kind": "inference",
            "model": self.spec.model.name,
            "gpus": self.gpus,
            "submit_s": self.submit_s,
            "start_s": self.start_s,
            "end_s": self.end_s if started else None,
            "queue_wait_s": (self.start_s - self.submit_s) if started else None,
            "run_time_s": self.held_gpu_s / self.gpus,  # GPUs x this = GPU-time held
            "completed": bool(started and done.all()),
            "tokens_trained": np.nan,
            "tokens_generated": tokens,
            "mfu": np.nan,
            "replicas": cfg.replicas,
            "gpus_per_replica": cfg.gpus_per_replica,
            "kv_cache_tokens": self.spec.kv_capacity_tokens,
            "requests": len(done),
            "requests_completed": int(done.sum()),
            "requests_rerouted": count("rerouted"),
            "requests_lost": count("lost"),
            "requests_cut_by_horizon": count("cut_by_horizon"),
            "failures": self.failures,
            "restarts": self.restarts,
            "busy_replica_s": self.busy_s,
        }
