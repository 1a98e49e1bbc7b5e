"""An inference service: its replicas, router and request stream, as one SimPy process.

Once its GPUs are reserved a service shares nothing with the other workloads but the power
it draws, so its replicas run their own event loop of batch changes (DESIGN.md section 6:
events only where a batch changes) when the service starts, and SimPy sees the service
start, hold its GPUs, and release them at its end. Its power goes to the ledger as exact
segments (idle GPUs of a replica with no work draw idle power, still owned by the service).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any

import numpy as np
import simpy

from simcompute.engine.cluster import Cluster
from simcompute.engine.inference.replica import KV_WATERMARK, Replica
from simcompute.engine.inference.router import ROUTERS
from simcompute.engine.inference.state import RequestState
from simcompute.engine.ledger import PowerLedger
from simcompute.errors import ConfigError
from simcompute.power import SlotPowerModel
from simcompute.records import Records
from simcompute.resolve import InferenceServiceSpec
from simcompute.traffic import Requests, generate_requests


class ServiceRun:
    """The timeline of a service's replicas for a given request stream (no SimPy needed)."""

    def __init__(self, spec: InferenceServiceSpec, slot: SlotPowerModel, reqs: Requests, stop_s: float):
        cfg = spec.config
        self.spec, self.slot, self.stop_s = spec, slot, stop_s
        self.tp = cfg.gpus_per_replica
        if len(reqs) and reqs.arrival_s[-1] >= stop_s:  # requests after the horizon never arrive
            keep = reqs.arrival_s < stop_s
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
        excess: dict[int, float] = {}

        def excess_w(tokens: int) -> float:
            watts = excess.get(tokens)
            if watts is None:
                watts = excess[tokens] = tp * (slot.at(step.activity(tokens)).total_w - idle_w)
            return watts

        self.state = RequestState(reqs)
        self.replicas = [
            Replica(
                i, step, excess_w, capacity,
                max_batch_size=cfg.max_batch_size, max_batch_tokens=cfg.max_batch_tokens,
                chunked=cfg.chunked_prefill, static=cfg.scheduler == "static",
                reference=cfg.mode == "reference", reqs=self.state,
            )
            for i in range(cfg.replicas)
        ]  # fmt: skip
        router = ROUTERS[cfg.router](self.replicas)
        choose = router.choose
        chunk = 1 << 16  # arrival times as Python floats a block at a time, not all at once
        for first in range(0, len(reqs), chunk):
            block = enumerate(reqs.arrival_s[first : first + chunk].tolist(), first)
            if len(self.replicas) == 1:  # every router picks it (submit brings it up to t_s)
                submit = self.replicas[0].submit
                for rid, t_s in block:
                    submit(rid, t_s)
            else:
                for rid, t_s in block:
                    choose(t_s).submit(rid, t_s)
        for replica in self.replicas:
            replica.finish(stop_s)
        end = max([r.t for r in self.replicas] + [cfg.duration or 0.0])
        self.end_s = min(end, stop_s)
        for replica in self.replicas:
            replica.segments.add(replica.t, self.end_s, 0)

    @property
    def busy_s(self) -> float:
        return sum(r.busy_s for r in self.replicas)

    def write_power(self, ledger: PowerLedger, owner: int) -> None:
        """Every replica's segments into the ledger, at the power of each iteration's activity."""
        step = self.spec.perf.step
        for replica in self.replicas:
            seg = replica.segments
            t0, t1 = np.frombuffer(seg.t0), np.frombuffer(seg.t1)
            tokens = np.frombuffer(seg.tokens, dtype=np.int64)
            levels, which = np.unique(tokens, return_inverse=True)
            per_gpu = [self.slot.at(step.activity(int(k)) if k > 0 else 0.0) for k in levels]
            ledger.add_segments(owner, t0, t1, self.tp, per_gpu, which)


class InferenceService:
    """SimPy process of one inference workload: reserve GPUs, serve, release."""

    def __init__(
        self,
        env: simpy.Environment,
        spec: InferenceServiceSpec,
        cluster: Cluster,
        ledger: PowerLedger,
        records: Records,
        rng: np.random.Generator,
        stop_s: float | None,
        on_release: Callable[[], None] | None = None,
    ):
        self.env, self.spec, self.cluster, self.records = env, spec, cluster, records
        self.gpus = spec.config.gpus
        self._reservation = cluster.reserve(self.gpus)
        self._on_release = on_release
        self.owner = ledger.add_owner(spec.name)
        reqs = generate_requests(spec.config, rng, spec.path)
        run = ServiceRun(spec, cluster.spec.slot_power, reqs, math.inf if stop_s is None else stop_s)
        run.write_power(ledger, self.owner)
        records.requests[spec.name] = run.state.columns()
        # keep the totals only: the replicas' segments are in the ledger now
        self.end_s, self.busy_s = run.end_s, run.busy_s
        del run, reqs
        records.event(0.0, spec.name, "start", self.gpus)
        self.released = False
        self.process = env.process(self._run())

    def _run(self):
        yield self.env.timeout(self.end_s)
        self.cluster.unreserve(self._reservation)
        self.released = True
        if self._on_release is not None:
            self._on_release()  # waiting training jobs may now fit
        self.records.event(self.env.now, self.spec.name, "finish", self.gpus)

    def row(self) -> dict[str, Any]:
        """One row of the `jobs` table."""
        cols = self.records.requests[self.spec.name]
        done = np.isfinite(cols["finish_s"])
        end = self.end_s
        cfg = self.spec.config
        return {
            "workload": self.spec.name,
            "kind": "inference",
            "model": self.spec.model.name,
            "gpus": self.gpus,
            "submit_s": 0.0,
            "start_s": 0.0,
            "end_s": end,
            "queue_wait_s": 0.0,
            "run_time_s": end,
            "completed": bool(done.all()),
            "tokens_trained": np.nan,
            "tokens_generated": float(cols["output_tokens"][done].sum()),
            "mfu": np.nan,
            "replicas": cfg.replicas,
            "gpus_per_replica": cfg.gpus_per_replica,
            "kv_cache_tokens": self.spec.kv_capacity_tokens,
            "requests": len(done),
            "requests_completed": int(done.sum()),
            "busy_replica_s": self.busy_s,
        }
