"""A decode stretch: `n` decode iterations of an unchanged batch, timed in closed form.

Iteration `i` of a batch of `batch` requests whose contexts sum to `kv0` tokens takes
`fixed + per_token * (kv0 + i * batch)` (`StepModel.decode_series`: everything but attention is
fixed by the batch, attention is linear in the context). So the first `n` iterations form an
arithmetic series, summed exactly, and the iterations an arrival waits for (the first boundary
at or after it) follow from a quadratic in `n`. `ReferenceStretch` plans one iteration at a
time straight from the step model, to check the closed form.
"""

from __future__ import annotations

import math

from simcompute.perf.inference import StepModel


class DecodeStretch:
    """The decode stretch a replica runs now: from `start_s`, `n` iterations of `batch`, the
    first taking `first_s` and each next one `growth_s` more."""

    __slots__ = ("_by_batch", "batch", "first_s", "growth_s", "n", "start_s", "step")

    def __init__(self, step: StepModel):
        self.step = step
        self.start_s = 0.0
        self.n = 0
        self.batch = 0
        self.first_s = self.growth_s = 0.0
        self._by_batch: dict[int, tuple[float, float, float]] = {}

    def _series(self, batch: int) -> tuple[float, float, float]:
        """(iteration seconds at context 0, seconds per context token, growth per iteration) of
        a batch size (cached)."""
        fixed, per_token = self.step.decode_series(batch)
        terms = self._by_batch[batch] = (fixed, per_token, per_token * batch)
        return terms

    def plan(self, start_s: float, n: int, batch: int, kv0: int) -> float:
        """Plan `n` iterations of `batch` requests holding `kv0` KV tokens; returns the end."""
        terms = self._by_batch.get(batch)
        if terms is None:
            terms = self._series(batch)
        fixed, per_token, growth = terms
        first = fixed + per_token * kv0
        self.start_s, self.n, self.batch, self.first_s, self.growth_s = start_s, n, batch, first, growth
        return start_s + n * first + growth * (n * (n - 1) / 2.0)

    def cut(self, t_s: float) -> float | None:
        """An arrival at `t_s` may join: stop at the first boundary at or after it, the end of
        the fewest iterations that last at least `t_s - start_s`. Returns the new end, or None
        when the stretch ends before that anyway."""
        start_s, first, growth = self.start_s, self.first_s, self.growth_s
        delta_s = t_s - start_s
        if delta_s <= 0:
            n, elapsed_n = 0, 0.0
        else:  # n from the root of n * first + growth * n (n - 1) / 2 = delta_s, then checked
            q = first - growth / 2.0
            if growth > 0:
                root = math.sqrt(q * q + 2.0 * growth * delta_s)
                m = 2.0 * delta_s / (q + root) if q > 0 else (root - q) / growth
            else:
                m = delta_s / first
            n = math.ceil(m)
            if n < 0:
                n = 0
            while n > 0 and (n - 1) * first + growth * ((n - 1) * (n - 2) / 2.0) >= delta_s:
                n -= 1
            while True:
                elapsed_n = n * first + growth * (n * (n - 1) / 2.0)
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
