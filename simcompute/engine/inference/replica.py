"""One model replica: an iteration-level scheduler whose events are batch changes only.

The replica keeps one *plan*: the operation it is running now and when it ends.
- `STEP`: one explicit iteration that prefills prompts (with chunked prefill, it also
  decodes the running batch);
- `DECODE`: a decode stretch of an unchanged batch, timed in closed form (`stretch.py`). It
  ends at the next completion or when the KV cache is full; an arrival that could be
  admitted cuts it at the first iteration boundary after the arrival;
- `IDLE`: nothing to do until the next arrival;
- `WAKE`: an arrival woke the replica; it schedules just after that instant, so requests
  arriving at the same time are admitted together.
What runs next is the batching policy's choice: the subclasses in `batching.py`. The energy
above idle of every iteration is shared by the tokens each request processes in it
(`energy.py`).
"""

from __future__ import annotations

import math
import struct
from abc import ABC, abstractmethod
from array import array
from collections import deque
from heapq import heappop, heappush

import numpy as np

from simcompute.engine.inference.energy import EnergyShares, ExcessWatts
from simcompute.engine.inference.state import RequestState
from simcompute.engine.inference.stretch import DecodeStretch, ReferenceStretch
from simcompute.perf.inference import StepModel

IDLE, STEP, DECODE, WAKE = 0, 1, 2, 3
KV_WATERMARK = 0.01
"""Share of the KV cache kept free at admission (vLLM `watermark=0.01`)."""


pack_segment = struct.Struct("ddd").pack
"""One segment's (start, end, tokens) as bytes: `Segments.flat.frombytes(pack_segment(...))`
appends it in half the time of `extend((start, end, tokens))`, which parses each item."""


class Segments:
    """Power segments of one replica: (start, end, tokens per iteration; 0 = idle) triples in
    one flat typed array (the hot paths append `pack_segment` bytes)."""

    __slots__ = ("flat",)

    def __init__(self) -> None:
        self.flat = array("d")

    def __len__(self) -> int:
        return len(self.flat) // 3

    def add(self, t0: float, t1: float, tokens: int) -> None:
        if t1 > t0:
            self.flat.frombytes(pack_segment(t0, t1, tokens))

    def columns(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Start and end times, and tokens as integers (`np.intp`)."""
        triples = np.frombuffer(self.flat).reshape(-1, 3)
        return triples[:, 0], triples[:, 1], triples[:, 2].astype(np.intp)


class Replica(ABC):
    """State of one replica and the event loop that carries out its plans.

    Subclasses (the batching policies) choose the next operation (`_schedule`) and carry out
    a finished prefill iteration (`_commit_step`); this class runs decode stretches of the
    running batch, completes and preempts requests, and handles arrivals, the end of the run
    and failures.
    """

    __slots__ = (
        "add_segment",
        "admit_limit",
        "busy_s",
        "completions",
        "decode_steps",
        "energy",
        "index",
        "kv_capacity",
        "kv_committed",
        "kv_reserved",
        "kv_tokens",
        "max_batch",
        "max_tokens",
        "outstanding",
        "plan",
        "plan_end",
        "prefilling",
        "replica_of",
        "reqs",
        "reserve_full_output",
        "running",
        "segments",
        "step",
        "step_chunks",
        "step_decodes",
        "step_tokens",
        "stretch",
        "t",
        "waiting",
    )

    ARRIVALS_CUT_DECODE = True
    """Whether an arrival may join at the next iteration boundary (not with static batches)."""

    def __init__(
        self,
        index: int,
        step: StepModel,
        excess_w: ExcessWatts,
        kv_capacity: int,
        *,
        max_batch_size: int,
        max_batch_tokens: int,
        reference: bool,
        reserve_full_output: bool,
        reqs: RequestState,
    ):
        self.index = index
        self.step = step
        self.kv_capacity = kv_capacity
        self.admit_limit = kv_capacity - int(KV_WATERMARK * kv_capacity)
        self.max_batch = max_batch_size
        self.max_tokens = max_batch_tokens
        self.reqs = reqs
        self.replica_of = reqs.replica
        self.energy = EnergyShares(excess_w, reqs)
        self.stretch = ReferenceStretch(step) if reference else DecodeStretch(step)
        self.segments = Segments()
        self.add_segment = self.segments.flat.frombytes  # one `pack_segment` (hot paths)
        self.t = 0.0  # end of the last operation carried out
        self.busy_s = 0.0
        self.waiting: deque[int] = deque()
        self.running: dict[int, None] = {}  # admission order: the last one is preempted first
        self.prefilling: list[list[int]] = []  # chunked prefill: [rid, tokens done, tokens total]
        # (decode step at which it completes, rid, its preemption count then): stale entries
        # (preempted or failed since) are skipped
        self.completions: list[tuple[int, int, int]] = []
        self.decode_steps = 0  # decode iterations done since the replica started
        self.kv_tokens = 0  # KV tokens held by the running batch (sum of contexts)
        self.kv_reserved = 0  # KV tokens reserved for requests being prefilled
        self.outstanding = 0  # submitted and not answered
        # admission reserves KV for whole answers (no preemption): the KV tokens the admitted
        # requests hold at their last token
        self.reserve_full_output = reserve_full_output
        self.kv_committed = 0
        self.plan = IDLE
        self.plan_end = math.inf
        self.step_chunks: list[tuple[int, int, int]] = []  # STEP: (rid, tokens, start)
        self.step_decodes = 0  # STEP: decode tokens in it
        self.step_tokens = 0  # STEP: all tokens in it (decodes + prompt chunks)

    # ---- the policy's part ------------------------------------------------------------------
    @abstractmethod
    def _schedule(self) -> None:
        """Choose the next operation at time `self.t`."""

    @abstractmethod
    def _commit_step(self, t_end: float) -> None:
        """The planned prefill iteration ended at `t_end`."""

    def _held(self) -> list[int]:
        """Requests the replica holds now (waiting, prefilling, running)."""
        return [*self.running, *self.waiting]

    # ---- driver interface ---------------------------------------------------------------
    def advance(self, until: float) -> None:
        """Carry out every planned operation that ends before `until`."""
        t_end = self.plan_end
        if t_end >= until:
            return
        t, busy_s = self.t, self.busy_s
        while t_end < until:
            plan = self.plan
            if plan == DECODE:
                self._commit_decode(t_end)
            elif plan == STEP:
                self._commit_step(t_end)
            busy_s += t_end - t
            self.t = t = t_end
            self._schedule()
            t_end = self.plan_end
        self.busy_s = busy_s

    def submit(self, rid: int, t_s: float) -> None:
        """A request arrives at `t_s`."""
        if self.plan_end < t_s:
            self.advance(t_s)
        self.replica_of[rid] = self.index
        waiting = self.waiting
        waiting.append(rid)
        self.outstanding += 1
        plan = self.plan
        if plan == DECODE:
            if (
                self.ARRIVALS_CUT_DECODE
                and len(waiting) == 1
                and len(self.running) + len(self.prefilling) < self.max_batch
            ):
                end = self.stretch.cut(t_s)
                if end is not None:
                    self.plan_end = end
        elif plan == IDLE:
            self.segments.add(self.t, t_s, 0)
            self.t = t_s
            self.plan = WAKE
            self.plan_end = t_s

    def finish(self, stop_s: float) -> None:
        """Run to `stop_s`, cutting the operation in flight there (its power up to `stop_s`,
        shared as usual); the running requests' energy is settled."""
        self.advance(stop_s)
        if self.plan != IDLE and self.plan_end > self.t:
            t0 = self.t
            if self.plan == STEP:
                tokens = self.step_tokens
                self.energy.step(self.step_chunks, self.step_decodes, stop_s - t0)
            else:
                tokens = self.stretch.batch
                self._share_decode(tokens, stop_s - t0)
            self.segments.add(t0, stop_s, tokens)
            self.busy_s += stop_s - t0
            self.t = stop_s
        for rid in self.running:
            self.energy.leave(rid)
        self.plan = IDLE
        self.plan_end = math.inf

    def fail(self, t_s: float) -> list[int]:
        """Its GPUs fail at `t_s`: the operation in flight is cut there (its energy still
        shared), the KV cache is lost, and the requests it held are returned in arrival
        order, each with the tokens it had generated so far."""
        held = self._held()
        reqs = self.reqs
        for rid in self.running:
            reqs.generated[rid] += self.decode_steps - reqs.join_step[rid]
        self.finish(t_s)
        self.segments.add(self.t, t_s, 0)
        self._empty()
        self.t = t_s
        return sorted(set(held))

    def _empty(self) -> None:
        self.waiting.clear()
        self.running.clear()
        self.prefilling.clear()
        self.completions.clear()
        self.kv_tokens = self.kv_reserved = self.outstanding = self.kv_committed = 0

    def restart(self, t_s: float) -> None:
        """Back on (new) GPUs at `t_s`, empty; it draws idle power until work comes."""
        self.t = t_s

    # ---- decode stretches of the running batch -------------------------------------------
    def _idle(self) -> None:
        self.plan = IDLE
        self.plan_end = math.inf

    def _plan_decode(self, batch: int) -> None:
        """Decode the running batch until its next completion or until the KV cache is full."""
        completions, running, epoch = self.completions, self.running, self.reqs.preemptions
        top = completions[0]
        while top[1] not in running or top[2] != epoch[top[1]]:  # stale entries
            heappop(completions)
            top = completions[0]
        kv_tokens = self.kv_tokens
        n = top[0] - self.decode_steps
        kv_room = (self.kv_capacity - self.kv_reserved - kv_tokens) // batch
        if kv_room < n:
            n = kv_room
        self.plan = DECODE
        self.plan_end = self.stretch.plan(self.t, n, batch, kv_tokens)

    def _share_decode(self, batch: int, seconds: float) -> None:
        self.energy.decode(batch, seconds)

    def _commit_decode(self, t_end: float) -> None:
        stretch = self.stretch
        n = stretch.n
        if n == 0:
            return
        batch = stretch.batch
        t0 = stretch.start_s
        seconds = t_end - t0
        if seconds > 0:  # Segments.add, inlined (hot path)
            self.add_segment(pack_segment(t0, t_end, batch))
        energy = self.energy
        energy.per_running_j += energy.excess_w[batch] * seconds / batch  # energy.decode, inlined
        self.decode_steps = step = self.decode_steps + n
        self.kv_tokens += n * batch
        completions = self.completions
        if completions and completions[0][0] <= step:
            self._complete(t_end)

    def _complete(self, t_end: float) -> None:
        """Finish the running requests whose last token came with decode step `decode_steps`."""
        completions, running, reqs, step = self.completions, self.running, self.reqs, self.decode_steps
        energy_j, joined_at_j, per_running_j = reqs.energy, reqs.join_energy, self.energy.per_running_j
        output, finish, prompt, epochs = reqs.output, reqs.finish, reqs.prompt, reqs.preemptions
        freed = done = 0
        while completions and completions[0][0] <= step:
            _step, rid, epoch = heappop(completions)
            if rid not in running or epoch != epochs[rid]:
                continue
            del running[rid]
            finish[rid] = t_end
            energy_j[rid] += per_running_j - joined_at_j[rid]
            freed += prompt[rid] + output[rid]
            done += 1
        self.kv_tokens -= freed
        self.kv_committed -= freed
        self.outstanding -= done

    def _join(self, rid: int, generated: int, context: int) -> None:
        """`rid` got its token number `generated` (its first, after a prefill of `context`
        tokens) and joins the running batch."""
        reqs = self.reqs
        reqs.join_step[rid] = self.decode_steps
        reqs.join_energy[rid] = self.energy.per_running_j
        self.kv_tokens += context
        self.running[rid] = None
        done_at = self.decode_steps + reqs.output[rid] - generated
        heappush(self.completions, (done_at, rid, reqs.preemptions[rid]))

    def _preempt(self, rid: int) -> None:
        """Free `rid`'s KV cache and put it first in line (recompute on readmission)."""
        reqs = self.reqs
        generated = reqs.generated[rid] + (self.decode_steps - reqs.join_step[rid])
        self.energy.leave(rid)
        reqs.generated[rid] = generated
        reqs.preemptions[rid] += 1
        self.kv_tokens -= reqs.prompt[rid] + generated
        self.kv_committed -= reqs.prompt[rid] + reqs.output[rid]
        del self.running[rid]
        self.waiting.appendleft(rid)
