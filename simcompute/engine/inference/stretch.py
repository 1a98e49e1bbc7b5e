"""A decode stretch: `n` decode iterations of an unchanged batch, timed in closed form.

Iteration `i` of a batch of `batch` requests whose contexts sum to `kv0` tokens takes
`max(compute_i, memory_i) + comm` (the step model), with compute and memory both linear in
the context `kv0 + i * batch`. So the time of the first `n` iterations is an arithmetic
series, or two when the bound switches between compute and memory at iteration
`switch_at`, and is summed exactly; the iterations an arrival waits for (the first
boundary at or after it) follow from a quadratic in `n`. `ReferenceStretch` plans one
iteration at a time straight from the step model, to check the closed form.
"""

from __future__ import annotations

import math

from simcompute.perf.inference import StepModel

NEVER = 1 << 62
"""`switch_at` of a stretch whose bound never switches."""


class DecodeStretch:
    """The decode stretch a replica runs now: from `start_s`, `n` iterations of `batch`."""

    __slots__ = (
        "_by_batch",
        "_compute_ctx",
        "_memory_ctx",
        "batch",
        "comm_s",
        "first_s",
        "growth_s",
        "later_first_s",
        "later_growth_s",
        "n",
        "start_s",
        "step",
        "switch_at",
    )

    def __init__(self, step: StepModel):
        self.step = step
        self.start_s = 0.0
        self.n = 0
        self.batch = 0
        # iteration i (from 0) takes comm_s + first_s + growth_s * i before `switch_at`, and
        # comm_s + later_first_s + later_growth_s * i from it on
        self.comm_s = 0.0
        self.first_s = self.growth_s = self.later_first_s = self.later_growth_s = 0.0
        self.switch_at = NEVER
        self._compute_ctx, self._memory_ctx = step.c_ctx, step.m_ctx
        self._by_batch: dict[int, tuple[float, float, float, float, float]] = {}

    def _batch_terms(self, batch: int) -> tuple[float, float, float, float, float, float]:
        """The terms that depend on the batch size only (`StepModel.decode_terms`): compute at
        context 0 and its growth per iteration, the same for memory, communication, and how
        the gap between compute and memory grows (cached per batch size)."""
        compute0, compute_growth, memory0, memory_growth, comm = self.step.decode_terms(batch)
        terms = compute0, compute_growth, memory0, memory_growth, comm, compute_growth - memory_growth
        self._by_batch[batch] = terms
        return terms

    def plan(self, start_s: float, n: int, batch: int, kv0: int) -> float:
        """Plan `n` iterations of `batch` requests holding `kv0` KV tokens; returns the end."""
        self.start_s, self.n, self.batch = start_s, n, batch
        terms = self._by_batch.get(batch)
        if terms is None:
            terms = self._batch_terms(batch)
        compute0, compute_growth, memory0, memory_growth, comm, gap_growth = terms
        self.comm_s = comm
        compute = compute0 + self._compute_ctx * kv0
        memory = memory0 + self._memory_ctx * kv0
        gap = compute - memory
        if gap >= 0:  # compute-bound first
            first, growth = compute, compute_growth
            self.later_first_s, self.later_growth_s = memory, memory_growth
            switch = NEVER if gap_growth >= 0 else int(gap / -gap_growth) + 1
        else:
            first, growth = memory, memory_growth
            self.later_first_s, self.later_growth_s = compute, compute_growth
            switch = NEVER if gap_growth <= 0 else int(-gap / gap_growth) + 1
        self.first_s, self.growth_s, self.switch_at = first, growth, switch
        if n <= switch:
            return start_s + n * (comm + first) + growth * (n * (n - 1) / 2.0)
        return start_s + self.elapsed_s(n)

    def elapsed_s(self, n: int) -> float:
        """Seconds of the first `n` iterations."""
        k = self.switch_at
        if n <= k:
            return n * (self.comm_s + self.first_s) + self.growth_s * (n * (n - 1) / 2.0)
        first = k * (self.comm_s + self.first_s) + self.growth_s * (k * (k - 1) / 2.0)
        later = (n - k) * (self.comm_s + self.later_first_s)
        return first + later + self.later_growth_s * ((n * (n - 1) - k * (k - 1)) / 2.0)

    def cut(self, t_s: float) -> float | None:
        """An arrival at `t_s` may join: stop at the first boundary at or after it, the end of
        the fewest iterations that last at least `t_s - start_s`. Returns the new end, or None
        when the stretch ends before that anyway."""
        start_s = self.start_s
        delta_s = t_s - start_s
        if delta_s <= 0:
            n, elapsed_n = 0, 0.0
        else:  # the first `n` iterations of the series that hold `delta_s` (from the root)
            k = self.switch_at
            ka, b1 = self.comm_s + self.first_s, self.growth_s  # the series before the switch
            a, b, n0, t0 = ka, b1, 0, 0.0
            if k < NEVER:
                tk = self.elapsed_s(k)
                if tk < delta_s:
                    a, b, n0, t0 = self.comm_s + self.later_first_s, self.later_growth_s, k, tk
            rest = delta_s - t0
            first = a + b * n0  # time of iteration n0
            q = first - b / 2.0
            if b > 0:
                root = math.sqrt(q * q + 2.0 * b * rest)
                m = 2.0 * rest / (q + root) if q > 0 else (root - q) / b
            else:
                m = rest / first
            up = math.ceil(m)
            n = n0 + up if up > 0 else n0
            # exact check of the rounded root; `elapsed_s` inlined (same operations) before the
            # switch
            while (
                n > 0
                and ((n - 1) * ka + b1 * ((n - 1) * (n - 2) / 2.0) if n <= k + 1 else self.elapsed_s(n - 1))
                >= delta_s
            ):
                n -= 1
            while True:
                elapsed_n = n * ka + b1 * (n * (n - 1) / 2.0) if n <= k else self.elapsed_s(n)
                if elapsed_n >= delta_s:
                    break
                n += 1
        if n >= self.n:
            return None
        self.n = n
        return start_s + elapsed_n


class ReferenceStretch(DecodeStretch):
    """`mode: reference`: one iteration at a time, its time straight from the step model."""

    __slots__ = ()

    def plan(self, start_s: float, n: int, batch: int, kv0: int) -> float:
        self.start_s, self.n, self.batch = start_s, min(n, 1), batch
        return start_s + self.step.step_time_s(batch, kv0, kv0, batch)

    def cut(self, t_s: float) -> float | None:
        if self.n and t_s <= self.start_s:
            self.n = 0
            return self.start_s
        return None
