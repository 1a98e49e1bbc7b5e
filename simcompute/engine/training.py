"""A training job on the shared cluster: a few events per phase change, never one per step.

Lifecycle: submitted -> queued -> (restart overhead, after an interruption) -> computing,
with checkpoints every `interval` of compute progress -> finished. A blocking checkpoint
holds the GPUs at `CHECKPOINT_ACTIVITY` while it is written; an asynchronous one lets
training go on and becomes durable `write_s` later. A failure of its hardware or a
preemption stops the job: the progress since the last durable checkpoint is lost (it will be
recomputed), the GPUs go back, and the job waits in the queue again.

Its time on GPUs is one SimPy process (`_life`), started at its first placement: the restart
overhead when one is due, then the running phase, to the finish. A failure of its hardware or
a preemption interrupts the process (`Process.interrupt`) wherever it waits: back to the
queue until the scheduler places it again, or, when spare GPUs replaced the failed node at
once, straight into a new restart. What the scheduler must see at once (the GPUs given back,
the work lost, the state its policies read, the event rows in the order things happened)
changes synchronously in `start`, `interrupt` and `restart_in_place`; the process owns the
waits between. Its submission is a plain timeout; starting the process wakes it for its first
placement, a `_Placement` event for each later one. Placements and interruptions are
processed before anything else at their instant, in the order the scheduler made them.

Between its events the running phase is closed form: from its start, progress and periodic
checkpoints follow, so it takes one timeout (its finish) however many steps and checkpoints
it spans; its checkpoint rows and power segments are written when the phase ends.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any

import numpy as np
import simpy
from simpy.events import URGENT

from simcompute.engine.checkpoint import CHECKPOINT_ACTIVITY, RESTART_ACTIVITY, CheckpointPlan
from simcompute.engine.cluster import Cluster
from simcompute.engine.ledger import PowerLedger
from simcompute.realism.expected import STEP_TERMS, step_terms_s
from simcompute.records import Records
from simcompute.resolve import ClusterJobSpec

if TYPE_CHECKING:
    from simcompute.engine.scheduler import Scheduler

J_PER_KWH = 3.6e6
COMPUTE, CHECKPOINT, RESTART = 0, 1, 2
"""Phases of a job's power segments in the ledger (its energy breakdown)."""
IN_PLACE = "restart in place"
"""Cause of an interruption after which the job keeps (replaced) GPUs and restarts at once."""


class _Placement(simpy.Event):
    """A queued job's placement on GPUs. Processed before anything else at its instant
    (priority URGENT, like an interruption), so placements and interruptions reach the job
    processes in the order the scheduler made them, ahead of what they trigger."""

    def place(self) -> None:
        self._ok, self._value = True, None
        self.env.schedule(self, URGENT)


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
        self.owner = ledger.add_owner(spec.name, phases=3)
        self.ckpt = checkpoint
        self.restart_s = restart_s
        self.young_daly_s = young_daly_s
        slot = cluster.spec.slot_power
        self.busy_power = slot.at(spec.activity)
        self.ckpt_power = slot.at(CHECKPOINT_ACTIVITY)
        self.restart_power = slot.at(RESTART_ACTIVITY)
        self.scheduler: Scheduler | None = None
        self.work_total_s = spec.work_s
        interval = spec.checkpoint_every_s
        write_s = checkpoint.write_s
        # Async: a snapshot due while the previous one is still being written is skipped.
        skip = math.ceil(write_s / interval - 1e-9) if interval and checkpoint.asynchronous else 1
        self.period_s = interval * max(1, skip) if interval else math.inf
        self.progress_s = 0.0  # compute progress kept (at the start of the running phase)
        self.committed_s = 0.0  # progress saved in the last durable checkpoint
        self.state = "pending"
        self.since = 0.0  # start of the current state
        self.needs_restart = False
        self.run_s = 0.0  # length of the running phase (to its finish) when nothing stops it
        self.start_s: float | None = None
        self.end_s: float | None = None
        self.held_since: float | None = None
        self.held_s = self.compute_s = self.ckpt_s = self.restart_time_s = self.lost_s = 0.0
        self.failures = self.preemptions = self.restarts = self.checkpoints = 0
        self.run_writes = 0
        self.process: simpy.Process | None = None  # from the first placement on
        self._placed: _Placement | None = None  # the next placement, while queued again
        env.timeout(spec.submit_s).callbacks.append(self._submit)

    # -- the process --------------------------------------------------------------------------

    def _life(self):
        """From the first placement: the restart overhead when due, then the running phase, to
        the finish. A failure or preemption (`interrupt`) sends it back to the queue until
        `start` places it again; a failure whose node was replaced at once (`restart_in_place`,
        cause `IN_PLACE`) starts over from the restart."""
        env = self.env
        while True:
            try:
                if self.state == "restarting":
                    yield env.timeout(self.restart_s)
                    self._run()
                yield env.timeout(self.run_s)
                self._finish()
                return
            except simpy.Interrupt as stop:
                if stop.cause != IN_PLACE:
                    yield self._placed

    # -- the running phase in closed form ---------------------------------------------------
    # From its start (time t0, progress p0) the job alternates compute and checkpoints with a
    # fixed period, so its state at any time follows in closed form: one SimPy event (its
    # finish) per running phase; checkpoint rows and power segments are written when the
    # phase ends (finish, interruption or horizon), in time order.

    def _first_checkpoint(self) -> float:
        return self.committed_s + self.period_s

    def _phase_state(self, t_s: float) -> tuple[float, int, float]:
        """(progress, checkpoints completed, time into an unfinished blocking write or -1)."""
        elapsed = t_s - self.since
        p0, work, n = self.progress_s, self.work_total_s, self.run_writes
        lead = self._first_checkpoint() - p0
        write_s = self.ckpt.write_s
        if n == 0 or elapsed < lead:
            return min(work, p0 + elapsed), 0, -1.0
        if self.ckpt.asynchronous:
            done = (
                0
                if elapsed < lead + write_s
                else min(n, int((elapsed - lead - write_s) // self.period_s) + 1)
            )
            return min(work, p0 + elapsed), done, -1.0
        cycle = write_s + self.period_s
        k = min(int((elapsed - lead) // cycle), n - 1)
        into = elapsed - lead - k * cycle
        snapshot = p0 + lead + k * self.period_s
        if into < write_s:
            return snapshot, k, into
        return min(work, snapshot + into - write_s), k + 1, -1.0

    def _run(self) -> None:
        """Start (or resume) computing from the kept progress."""
        now = self.env.now
        self._close_restart()
        self.needs_restart = False
        self.state, self.since = "running", now
        self.ledger.set(self.owner, now, self.gpus, self.busy_power, COMPUTE)
        first, work = self._first_checkpoint(), self.work_total_s
        self.run_writes = max(0, math.ceil((work - first) / self.period_s - 1e-9)) if first < work else 0
        blocking = 0.0 if self.ckpt.asynchronous else self.ckpt.write_s
        self.run_s = work - self.progress_s + self.run_writes * blocking

    def _end_run(self, t_s: float) -> None:
        """Account the running phase up to `t_s`: progress, checkpoints, power segments."""
        progress, done, into = self._phase_state(t_s)
        p0, t0, write_s = self.progress_s, self.since, self.ckpt.write_s
        lead = self._first_checkpoint() - p0
        blocking = not self.ckpt.asynchronous and write_s > 0
        cycle = (write_s if not self.ckpt.asynchronous else 0.0) + self.period_s
        if done:
            j = np.arange(done)
            starts = t0 + lead + j * cycle
            if blocking:
                self._write_windows(starts, write_s)
            snapshots = p0 + lead + j * self.period_s
            self.records.event_block(
                starts + write_s, self.name, "checkpoint", self.gpus, "progress_s", snapshots
            )
            self.committed_s = p0 + lead + (done - 1) * self.period_s
        self.checkpoints += done
        if into >= 0:
            self.ledger.set(self.owner, t_s - into, self.gpus, self.ckpt_power, CHECKPOINT)
        self.compute_s += progress - p0
        if blocking:
            self.ckpt_s += done * write_s + max(into, 0.0)
        self.progress_s = progress
        self.state, self.since = "stopped", t_s

    def _write_windows(self, starts: np.ndarray, write_s: float) -> None:
        """Power segments of the checkpoint writes at `starts` (sorted, more than `write_s`
        apart) and of the computing between them: from the running segment's end at
        `starts[0]`, alternately writing (`write_s` long) and computing; computing after."""
        ledger, owner, gpus = self.ledger, self.owner, self.gpus
        ends = starts + write_s
        n = len(starts)
        t_start, t_end = np.empty(2 * n - 1), np.empty(2 * n - 1)
        t_start[0::2], t_start[1::2] = starts, ends[:-1]
        t_end[0::2], t_end[1::2] = ends, starts[1:]
        which = np.zeros(2 * n - 1, dtype=np.intp)
        which[1::2] = 1
        ledger.set(owner, float(starts[0]), 0, self.busy_power)  # closes the running segment
        levels = [self.ckpt_power, self.busy_power]
        ledger.add_segments(owner, t_start, t_end, gpus, levels, which, [CHECKPOINT, COMPUTE])
        ledger.set(owner, float(ends[-1]), gpus, self.busy_power, COMPUTE)  # opens computing after the last

    def _close_restart(self) -> None:
        if self.state == "restarting":
            self.restart_time_s += self.env.now - self.since

    # -- helpers ----------------------------------------------------------------------------

    @property
    def running(self) -> bool:
        return self.state in ("running", "restarting")

    def expected_remaining_s(self) -> float:
        """Time still needed on the GPUs if nothing fails (for EASY backfill's reservations)."""
        now = self.env.now
        if self.state == "running":
            blocking = 0.0 if self.ckpt.asynchronous else self.ckpt.write_s
            end = self.since + self.work_total_s - self.progress_s + self.run_writes * blocking
            return max(0.0, end - now)
        left = self.work_total_s - self.progress_s
        interval = self.period_s
        writes = (
            0 if self.ckpt.asynchronous or math.isinf(interval) else max(0, math.ceil(left / interval) - 1)
        )
        extra = self.restart_s if self.needs_restart else 0.0
        if self.state == "restarting":
            extra = max(0.0, self.restart_s - (now - self.since))
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
        self._resume()
        if self.process is None:  # starting the process is the wake-up of its first placement
            self.process = self.env.process(self._life())
        else:
            assert self._placed is not None
            self._placed.place()

    def _resume(self) -> None:
        """Begin the restart overhead after an interruption (the process waits it out), or
        computing."""
        now = self.env.now
        if not self.needs_restart:
            self._run()
            return
        self.restarts += 1
        self.records.event(now, self.name, "restart", self.gpus, f"overhead_s={self.restart_s:.6g}")
        if self.restart_s <= 0:
            self._run()
            return
        self.state, self.since = "restarting", now
        self.ledger.set(self.owner, now, self.gpus, self.restart_power, RESTART)

    def _release(self) -> None:
        now = self.env.now
        self.ledger.set(self.owner, now, 0, self.busy_power)
        assert self.held_since is not None
        self.held_s += now - self.held_since
        self.held_since = None
        self.cluster.free_holder(self, self.gpus)

    def _finish(self) -> None:
        self._end_run(self.env.now)
        self.progress_s = self.work_total_s
        self.state = "done"
        self.end_s = self.env.now
        self._release()
        self.records.event(self.env.now, self.name, "finish", self.gpus)
        assert self.scheduler is not None
        self.scheduler.finished(self)

    def _lose(self, event: str, detail: str) -> None:
        """Stop computing now; the progress since the last durable checkpoint is lost."""
        now = self.env.now
        if self.state == "running":
            self._end_run(now)
        self._close_restart()
        lost = self.progress_s - self.committed_s
        self.lost_s += lost
        self.progress_s = self.committed_s
        self.needs_restart = True
        if event == "failure":
            self.failures += 1
        else:
            self.preemptions += 1
        text = f"lost_work_s={lost:.6g}" + (f" {detail}" if detail else "")
        self.records.event(now, self.name, event, self.gpus, text)

    def interrupt(self, event: str, detail: str = "") -> None:
        """Stop now (a failure of its hardware, or a preemption); the GPUs go back and the
        process waits for its next placement."""
        self._lose(event, detail)
        self._release()
        self.state = "queued"
        self._placed = _Placement(self.env)
        assert self.process is not None
        self.process.interrupt(event)

    def restart_in_place(self, detail: str) -> None:
        """A failure whose node was replaced at once from free GPUs: restart on the new set."""
        self._lose("failure", detail)
        self._resume()
        assert self.process is not None
        self.process.interrupt(IN_PLACE)

    def close(self, end_s: float) -> None:
        """The run ends at `end_s` (horizon): count the time of the state it is in."""
        if self.state == "running":
            self._end_run(end_s)
        self._close_restart()
        if self.held_since is not None:
            self.held_s += end_s - self.held_since
            self.held_since = None

    # -- results ----------------------------------------------------------------------------

    def _breakdown(self, compute_kwh: float) -> dict[str, float]:
        """Compute time and energy split into the whole-run layer's per-step terms (in proportion
        to the simulated step's phases; compute runs at one power) and the work redone after
        failures. With checkpoint and restart time they add up to `run_time_s`, and with their
        energies to the job's IT energy."""
        est = self.spec.estimate
        shares = step_terms_s(est) if est is not None else {"achievable_compute": 1.0}
        total = sum(shares.values())
        useful_s = self.compute_s - self.lost_s
        kwh_per_s = compute_kwh / self.compute_s if self.compute_s else 0.0
        out = {"failures_lost_work_s": self.lost_s}
        for term in STEP_TERMS:
            t_s = useful_s * shares.get(term, 0.0) / total
            out[f"{term}_s"] = t_s
            out[f"{term}_energy_kwh"] = t_s * kwh_per_s
        return out

    def row(self, end_s: float) -> dict[str, Any]:
        """One row of the `jobs` table."""
        spec, est = self.spec, self.spec.estimate
        achievable = spec.achievable or est
        completed = self.end_s is not None
        started = self.start_s is not None
        until = self.end_s if completed else end_s
        compute_j, checkpoint_j, restart_j = self.ledger.energy_j[self.owner]
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
            "achievable_step_time_s": achievable.step_time_s if achievable else None,
            "achievable_mfu": achievable.mfu if achievable else math.nan,
            "tp": est.layout.tp if est and est.layout else None,
            "pp": est.layout.pp if est and est.layout else None,
            "dp": est.layout.dp if est and est.layout else None,
            "layout": est.layout.describe() if est and est.layout else None,
            "memory_per_gpu_gib": est.memory.total_gib if est and est.memory else None,
            "gpu_activity": spec.activity,
            "work_s": self.work_total_s,
            "checkpoints": self.checkpoints,
            "failures": self.failures,
            "preemptions": self.preemptions,
            "restarts": self.restarts,
            "lost_work_gpu_hours": self.lost_s * self.gpus / 3600.0,
            # compute runs at one power, so lost work's share of compute time is its share of energy
            "lost_work_energy_kwh": compute_j * self.lost_s / self.compute_s / J_PER_KWH
            if self.compute_s
            else 0.0,
            **self._breakdown(compute_j / J_PER_KWH),
            # after an interruption without free GPUs the job waits in the queue, holding none
            "waiting_for_gpus_s": max(elapsed - self.held_s, 0.0),
            "compute_time_s": self.compute_s,
            "checkpoint_time_s": self.ckpt_s,
            "restart_time_s": self.restart_time_s,
            "compute_energy_kwh": compute_j / J_PER_KWH,
            "checkpoint_energy_kwh": checkpoint_j / J_PER_KWH,
            "restart_energy_kwh": restart_j / J_PER_KWH,
            "goodput": (self.progress_s / elapsed) if elapsed > 0 else math.nan,
            "checkpoint_interval_s": spec.checkpoint_every_s,
            "checkpoint_gb": self.ckpt.size_bytes / 1e9,
            "checkpoint_write_s": self.ckpt.write_s,
            "young_daly_interval_s": self.young_daly_s,
        }
