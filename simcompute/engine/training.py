"""A training job on the shared cluster: a few events per phase change, never one per step.

Lifecycle: submitted -> queued -> (restart overhead, after an interruption) -> computing,
with checkpoints every `interval` of compute progress -> finished. A blocking checkpoint
holds the GPUs at `CHECKPOINT_ACTIVITY` while it is written; an asynchronous one lets
training go on and becomes durable `write_s` later. A failure of its hardware or a
preemption stops the job: the progress since the last durable checkpoint is lost (it will be
recomputed), the GPUs go back, and the job waits in the queue again.

The job's SimPy callbacks carry its `epoch`; an interruption bumps it, so callbacks of the
cut-short phase do nothing when they fire.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import simpy

from simcompute.engine.checkpoint import CHECKPOINT_ACTIVITY, RESTART_ACTIVITY, CheckpointPlan
from simcompute.engine.cluster import Cluster
from simcompute.engine.ledger import PowerLedger
from simcompute.records import Records
from simcompute.resolve import ClusterJobSpec

if TYPE_CHECKING:
    from simcompute.engine.scheduler import Scheduler

J_PER_KWH = 3.6e6


class TrainingJob:
    """State and event handlers of one training job."""

    def __init__(
        self,
        env: simpy.Environment,
        spec: ClusterJobSpec,
        seq: int,
        cluster: Cluster,
        ledger: PowerLedger,
        records: Records,
        checkpoint: CheckpointPlan,
        restart_s: float,
        young_daly_s: float,
    ):
        self.env, self.spec, self.seq = env, spec, seq
        self.cluster, self.ledger, self.records = cluster, ledger, records
        self.name, self.gpus, self.priority = spec.name, spec.gpus, spec.priority
        self.owner = ledger.add_owner(spec.name)
        self.ckpt = checkpoint
        self.restart_s = restart_s
        self.young_daly_s = young_daly_s
        slot = cluster.spec.slot_power
        self.busy_power = slot.at(spec.activity)
        self.ckpt_power = slot.at(CHECKPOINT_ACTIVITY)
        self.restart_power = slot.at(RESTART_ACTIVITY)
        self.scheduler: Scheduler | None = None
        self.work_total_s = spec.work_s
        self.progress_s = 0.0  # compute progress at `since` (kept unless interrupted)
        self.committed_s = 0.0  # progress saved in the last durable checkpoint
        self.next_ckpt_s = self._next_checkpoint(0.0)
        self.in_flight: float | None = None  # async: progress of the snapshot being written
        self.state = "pending"
        self.since = 0.0  # start of the current state
        self.epoch = 0
        self.needs_restart = False
        self.start_s: float | None = None
        self.end_s: float | None = None
        self.held_since: float | None = None
        self.held_s = self.compute_s = self.ckpt_s = self.restart_time_s = self.lost_s = 0.0
        self.failures = self.preemptions = self.restarts = self.checkpoints = 0
        env.timeout(spec.submit_s).callbacks.append(self._submit)

    # -- helpers ----------------------------------------------------------------------------

    def _next_checkpoint(self, progress_s: float) -> float:
        interval = self.spec.checkpoint_every_s
        return progress_s + interval if interval else math.inf

    def _after(self, delay_s: float, handler) -> None:
        epoch = self.epoch
        self.env.timeout(delay_s).callbacks.append(lambda _e: handler() if epoch == self.epoch else None)

    def _enter(self, state: str, power) -> None:
        """Close the running state's time and switch to `state` drawing `power` per GPU."""
        now = self.env.now
        spent = now - self.since
        if self.state == "computing":
            self.compute_s += spent
            self.progress_s = min(self.work_total_s, self.progress_s + spent)
        elif self.state == "writing":
            self.ckpt_s += spent
        elif self.state == "restarting":
            self.restart_time_s += spent
        self.state, self.since = state, now
        if power is not None:
            self.ledger.set(self.owner, now, self.gpus, power)

    @property
    def running(self) -> bool:
        return self.state in ("computing", "writing", "restarting")

    def expected_remaining_s(self) -> float:
        """Time still needed on the GPUs if nothing fails (for EASY backfill's reservations)."""
        progress = self.progress_s
        if self.state == "computing":
            progress = min(self.work_total_s, progress + self.env.now - self.since)
        left = self.work_total_s - progress
        interval = self.spec.checkpoint_every_s
        writes = 0 if self.ckpt.asynchronous or not interval else max(0, math.ceil(left / interval) - 1)
        extra = self.restart_s if self.needs_restart and not self.running else 0.0
        if self.state == "restarting":
            extra = max(0.0, self.restart_s - (self.env.now - self.since))
        if self.state == "writing":
            extra = max(0.0, self.ckpt.write_s - (self.env.now - self.since))
        return left + writes * self.ckpt.write_s + extra

    # -- lifecycle --------------------------------------------------------------------------

    def _submit(self, _event: Any) -> None:
        self.records.event(self.env.now, self.name, "submit", self.gpus)
        self.state = "queued"
        assert self.scheduler is not None
        self.scheduler.submit(self)

    def start(self) -> None:
        """The scheduler placed the job on GPUs (all of them: gang scheduling)."""
        now = self.env.now
        self.held_since = now
        if self.start_s is None:
            self.start_s = now
        self.records.event(now, self.name, "start", self.gpus)
        if self.needs_restart and self.restart_s > 0:
            self.restarts += 1
            self.state, self.since = "queued", now
            self._enter("restarting", self.restart_power)
            self.records.event(now, self.name, "restart", self.gpus, f"overhead_s={self.restart_s:.6g}")
            self._after(self.restart_s, self._compute)
            return
        if self.needs_restart:
            self.restarts += 1
            self.records.event(now, self.name, "restart", self.gpus, "overhead_s=0")
        self.state, self.since = "queued", now
        self._compute()

    def _compute(self) -> None:
        self.needs_restart = False
        self._enter("computing", self.busy_power)
        target = min(self.work_total_s, self.next_ckpt_s)
        self._after(target - self.progress_s, self._reached)

    def _reached(self) -> None:
        """Compute reached the end of the job or a checkpoint point."""
        self._enter("computing", None)
        if self.progress_s >= self.work_total_s - 1e-9 * max(1.0, self.work_total_s):
            self.progress_s = self.work_total_s
            self._finish()
            return
        snapshot = self.progress_s
        self.next_ckpt_s = self._next_checkpoint(snapshot)
        write_s = self.ckpt.write_s
        if write_s <= 0:
            self._commit(snapshot)
        elif self.ckpt.asynchronous:
            if self.in_flight is None:  # one write at a time; a snapshot due during it is skipped
                self.in_flight = snapshot
                self._after(write_s, self._async_done)
        else:
            self._enter("writing", self.ckpt_power)
            self._after(write_s, lambda: self._blocking_done(snapshot))
            return
        target = min(self.work_total_s, self.next_ckpt_s)
        self._after(target - self.progress_s, self._reached)

    def _commit(self, snapshot: float) -> None:
        self.committed_s = snapshot
        self.checkpoints += 1
        self.records.event(self.env.now, self.name, "checkpoint", self.gpus, f"progress_s={snapshot:.6g}")

    def _blocking_done(self, snapshot: float) -> None:
        self._commit(snapshot)
        self._compute()

    def _async_done(self) -> None:
        assert self.in_flight is not None
        self._commit(self.in_flight)
        self.in_flight = None

    def _release(self) -> None:
        now = self.env.now
        self.ledger.set(self.owner, now, 0, self.busy_power)
        assert self.held_since is not None
        self.held_s += now - self.held_since
        self.held_since = None
        self.cluster.free_holder(self, self.gpus)

    def _finish(self) -> None:
        self.state = "done"
        self.end_s = self.env.now
        self.epoch += 1
        self._release()
        self.records.event(self.env.now, self.name, "finish", self.gpus)
        assert self.scheduler is not None
        self.scheduler.finished(self)

    def interrupt(self, event: str, detail: str = "") -> None:
        """Stop now (a failure of its hardware, or a preemption); back to the queue."""
        self._enter("stopped", None)
        lost = self.progress_s - self.committed_s
        self.lost_s += lost
        self.progress_s = self.committed_s
        self.next_ckpt_s = self._next_checkpoint(self.committed_s)
        self.in_flight = None
        self.epoch += 1
        self.needs_restart = True
        if event == "failure":
            self.failures += 1
        else:
            self.preemptions += 1
        self._release()
        self.state = "queued"
        text = f"lost_work_s={lost:.6g}" + (f" {detail}" if detail else "")
        self.records.event(self.env.now, self.name, event, self.gpus, text)

    def close(self, end_s: float) -> None:
        """The run ends at `end_s` (horizon): count the time of the state it is in."""
        if self.running:
            self._enter("closed", None)
            assert self.held_since is not None
            self.held_s += end_s - self.held_since
            self.held_since = None

    # -- results ----------------------------------------------------------------------------

    def row(self, end_s: float) -> dict[str, Any]:
        """One row of the `jobs` table."""
        spec, est = self.spec, self.spec.estimate
        completed = self.end_s is not None
        started = self.start_s is not None
        until = self.end_s if completed else end_s
        per_gpu_kwh = self.gpus / J_PER_KWH
        busy_w, ckpt_w, restart_w = (
            self.busy_power.total_w,
            self.ckpt_power.total_w,
            self.restart_power.total_w,
        )
        if est is not None and spec.n_steps is not None:
            steps = min(spec.n_steps, math.floor(self.progress_s / est.step_time_s + 1e-9))
            tokens_trained = float(steps * est.tokens_per_step)
        else:
            tokens_trained = math.nan
        elapsed = (until - self.start_s) if started else 0.0
        return {
            "workload": self.name,
            "kind": "training",
            "model": spec.model.name if spec.model is not None else None,
            "gpus": self.gpus,
            "priority": self.priority,
            "submit_s": spec.submit_s,
            "start_s": self.start_s,
            "end_s": until if started else None,
            "queue_wait_s": (self.start_s - spec.submit_s) if started else None,
            "run_time_s": self.held_s,
            "completed": completed,
            "tokens_requested": spec.tokens if spec.tokens is not None else math.nan,
            "tokens_trained": tokens_trained,
            "steps": spec.n_steps,
            "tokens_per_step": est.tokens_per_step if est else None,
            "step_time_s": est.step_time_s if est else None,
            "tokens_per_s": est.tokens_per_s if est else None,
            "flops_per_token": est.flops_per_token if est else None,
            "mfu": est.mfu if est else math.nan,
            "gpu_activity": spec.activity,
            "work_s": self.work_total_s,
            "checkpoints": self.checkpoints,
            "failures": self.failures,
            "preemptions": self.preemptions,
            "restarts": self.restarts,
            "lost_work_gpu_hours": self.lost_s * self.gpus / 3600.0,
            "lost_work_energy_kwh": self.lost_s * busy_w * per_gpu_kwh,
            "compute_time_s": self.compute_s,
            "checkpoint_time_s": self.ckpt_s,
            "restart_time_s": self.restart_time_s,
            "compute_energy_kwh": self.compute_s * busy_w * per_gpu_kwh,
            "checkpoint_energy_kwh": self.ckpt_s * ckpt_w * per_gpu_kwh,
            "restart_energy_kwh": self.restart_time_s * restart_w * per_gpu_kwh,
            "goodput": (self.progress_s / elapsed) if elapsed > 0 else math.nan,
            "checkpoint_interval_s": spec.checkpoint_every_s,
            "checkpoint_gb": self.ckpt.size_bytes / 1e9,
            "checkpoint_write_s": self.ckpt.write_s,
            "young_daly_interval_s": self.young_daly_s,
        }
