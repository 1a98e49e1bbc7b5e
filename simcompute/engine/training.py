"""A training job as a SimPy process: few events per phase change, never one per step.

The job waits for its GPUs (gang scheduling), then computes; it records a checkpoint every
`checkpoint_every` of progress, and on a random GPU failure it loses the work since the last
checkpoint, holds its GPUs at idle power during the restart, and carries on.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import simpy

from simcompute.config import FailuresConfig
from simcompute.engine.cluster import Cluster
from simcompute.engine.ledger import PowerLedger
from simcompute.records import Records
from simcompute.resolve import TrainingJobSpec


class TrainingJob:
    """State and process of one training workload."""

    def __init__(
        self,
        env: simpy.Environment,
        spec: TrainingJobSpec,
        cluster: Cluster,
        ledger: PowerLedger,
        records: Records,
        rng: np.random.Generator,
        failures: FailuresConfig | None,
    ):
        self.env, self.spec, self.cluster, self.ledger, self.records = env, spec, cluster, ledger, records
        self.rng = rng
        self.owner = ledger.add_owner(spec.name)
        self.gpus = spec.config.gpus
        self.step_time_s = spec.estimate.step_time_s
        self.work_total_s = spec.n_steps * self.step_time_s
        self.failure_rate_per_s = self.gpus / (failures.gpu_mtbf_h * 3600.0) if failures else 0.0
        self.restart_s = failures.restart_overhead if failures else 0.0
        slot = cluster.spec.slot_power
        self.busy_power = slot.at(spec.estimate.mean_activity)
        self.held_idle_power = slot.idle
        self.work_done_s = 0.0
        self.checkpointed_s = 0.0
        self.computing_since: float | None = None
        self.start_s: float | None = None
        self.end_s: float | None = None
        self.failures = 0
        self.lost_work_s = 0.0
        self.checkpoints = 0
        self.process = env.process(self._run())

    def _run(self):
        env, name = self.env, self.spec.name
        submit = self.spec.config.submit_at
        if submit > 0:
            yield env.timeout(submit)
        self.records.event(env.now, name, "submit", self.gpus)
        yield self.cluster.acquire(self.gpus)
        self.start_s = env.now
        self.records.event(env.now, name, "start", self.gpus)
        self.ledger.set(self.owner, env.now, self.gpus, self.busy_power)
        interval = self.spec.config.checkpoint_every
        while self.work_done_s < self.work_total_s:
            next_ckpt = self.checkpointed_s + interval if interval else math.inf
            target = min(self.work_total_s, next_ckpt)
            segment = target - self.work_done_s
            to_failure = (
                self.rng.exponential(1.0 / self.failure_rate_per_s) if self.failure_rate_per_s else math.inf
            )
            self.computing_since = env.now
            if to_failure < segment:
                yield env.timeout(to_failure)
                yield from self._fail(self.work_done_s + to_failure)
                continue
            yield env.timeout(segment)
            self.computing_since = None
            self.work_done_s = target
            if target < self.work_total_s:
                self.checkpointed_s = target
                self.checkpoints += 1
                self.records.event(env.now, name, "checkpoint", self.gpus, f"progress_s={target:.6g}")
        self.end_s = env.now
        self.ledger.set(self.owner, env.now, 0, self.busy_power)
        self.cluster.release(self.gpus)
        self.records.event(env.now, name, "finish", self.gpus)

    def _fail(self, progress_s: float):
        env = self.env
        self.computing_since = None
        self.failures += 1
        lost = progress_s - self.checkpointed_s
        self.lost_work_s += lost
        self.work_done_s = self.checkpointed_s
        self.records.event(env.now, self.spec.name, "failure", self.gpus, f"lost_work_s={lost:.6g}")
        self.ledger.set(self.owner, env.now, self.gpus, self.held_idle_power)
        yield env.timeout(self.restart_s)
        self.ledger.set(self.owner, env.now, self.gpus, self.busy_power)
        self.records.event(env.now, self.spec.name, "restart", self.gpus)

    def progress_at(self, t_s: float) -> float:
        """Compute-seconds of progress kept at `t_s` (counts a segment cut by the horizon)."""
        running = t_s - self.computing_since if self.computing_since is not None else 0.0
        return min(self.work_total_s, self.work_done_s + running)

    def row(self, end_s: float) -> dict[str, Any]:
        """One row of the `jobs` table."""
        est, cfg = self.spec.estimate, self.spec.config
        completed = self.end_s is not None
        held_until = self.end_s if completed else end_s
        steps_done = math.floor(self.progress_at(end_s) / self.step_time_s + 1e-9)
        return {
            "workload": self.spec.name,
            "kind": "training",
            "model": self.spec.model.name,
            "gpus": self.gpus,
            "submit_s": cfg.submit_at,
            "start_s": self.start_s,
            "end_s": held_until if self.start_s is not None else None,
            "queue_wait_s": (self.start_s - cfg.submit_at) if self.start_s is not None else None,
            "run_time_s": (held_until - self.start_s) if self.start_s is not None else 0.0,
            "completed": completed,
            "tokens_requested": float(cfg.tokens),
            "tokens_trained": float(min(steps_done, self.spec.n_steps) * est.tokens_per_step),
            "steps": self.spec.n_steps,
            "tokens_per_step": est.tokens_per_step,
            "step_time_s": est.step_time_s,
            "tokens_per_s": est.tokens_per_s,
            "flops_per_token": est.flops_per_token,
            "mfu": est.mfu,
            "tp": est.layout.tp if est.layout else None,
            "pp": est.layout.pp if est.layout else None,
            "dp": est.layout.dp if est.layout else None,
            "layout": est.layout.describe() if est.layout else None,
            "memory_per_gpu_gb": est.memory.total_gb if est.memory else None,
            "gpu_activity": est.mean_activity,
            "checkpoints": self.checkpoints,
            "failures": self.failures,
            "lost_work_gpu_hours": self.lost_work_s * self.gpus / 3600.0,
        }
