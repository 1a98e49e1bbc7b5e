"""One model replica: an iteration-level scheduler whose events are batch changes only.

The replica keeps one *plan*: the operation it is running now and when it ends.
- `STEP`: one explicit iteration that prefills prompts (and, with chunked prefill, also
  decodes the running batch);
- `DECODE`: `n` decode iterations of an unchanged batch. Iteration `i` of a batch of `B`
  requests whose contexts sum to `S0` takes `max(compute_i, memory_i) + comm` with both terms
  linear in `S0 + i B`, so the time of `n` iterations is an arithmetic series (two, if the
  bound switches between compute and memory) and is summed in closed form. The stretch ends at
  the next completion or when the KV cache is full; an arrival that could be admitted cuts it
  at the first iteration boundary after the arrival (a quadratic in `n`, solved exactly);
- `IDLE`: nothing to do until the next arrival;
- `WAKE`: an arrival woke the replica; it schedules just after that instant, so requests
  arriving at the same time are admitted together.
`mode: reference` plans single iterations and computes each one's time directly from the
step model, re-running the scheduler at every boundary: the same timeline, iteration by
iteration, to check the closed form.

Continuous batching follows vLLM's default scheduler: waiting requests are admitted first
come first served while the batch size, the iteration token budget and the KV cache allow
(keeping a 1% KV watermark); a prefill iteration runs before decoding resumes (or, with
chunked prefill, prompt chunks share iterations with the decodes up to the token budget);
when the KV cache cannot hold the next iteration, the most recently admitted request is
preempted (its KV freed, recomputed later as a prefill of its prompt plus the tokens it had
generated). Static batching is the baseline: a batch of waiting requests is padded to its
longest prompt and decodes until its longest output is done; then the next batch starts.

Energy above idle of every iteration is shared by the tokens each request processes in it.
"""

from __future__ import annotations

import heapq
import math
from array import array
from collections import deque
from collections.abc import Callable

from simcompute.engine.inference.state import NAN, RequestState
from simcompute.perf.inference import StepModel, prefill_context

IDLE, STEP, DECODE, WAKE = 0, 1, 2, 3
NEVER = 1 << 62
KV_WATERMARK = 0.01
"""Share of the KV cache kept free at admission (vLLM `watermark=0.01`)."""


class Segments:
    """Power segments of one replica: start, end and tokens per iteration (0 = idle)."""

    def __init__(self) -> None:
        self.t0 = array("d")
        self.t1 = array("d")
        self.tokens = array("q")

    def add(self, t0: float, t1: float, tokens: int) -> None:
        if t1 > t0:
            self.t0.append(t0)
            self.t1.append(t1)
            self.tokens.append(tokens)


class Replica:
    """State and scheduler of one replica (see the module docstring)."""

    def __init__(
        self,
        index: int,
        step: StepModel,
        excess_w: Callable[[int], float],
        kv_capacity: int,
        *,
        max_batch_size: int,
        max_batch_tokens: int,
        chunked: bool,
        static: bool,
        reference: bool,
        reqs: RequestState,
    ):
        self.index = index
        self.step = step
        self.excess_w = excess_w
        self.capacity = kv_capacity
        self.admit_limit = kv_capacity - int(KV_WATERMARK * kv_capacity)
        self.max_batch = max_batch_size
        self.max_tokens = max_batch_tokens
        self.chunked = chunked
        self.static = static
        self.reference = reference
        self.r = reqs
        self.segments = Segments()
        self.t = 0.0
        self.busy_s = 0.0
        self.waiting: deque[int] = deque()
        self.running: dict[int, None] = {}  # admission order: the last one is preempted first
        self.prefilling: list[list[int]] = []  # [rid, tokens done, tokens total]
        self.heap: list[tuple[int, int, int]] = []  # (completion step, rid, epoch)
        self.G = 0  # decode iterations done
        self.S = 0  # KV tokens held by the running batch (sum of contexts)
        self.reserved = 0  # KV tokens reserved for requests being prefilled
        self.E = 0.0  # energy (J) each running request has been attributed since step 0
        self.outstanding = 0
        self.plan = IDLE
        self.plan_end = math.inf
        self.chunks: list[tuple[int, int, int]] = []  # STEP: (rid, tokens, start)
        self.step_decodes = 0  # STEP: decode tokens in it
        self.step_tokens = 0  # STEP: all tokens in it (decodes + prompt chunks)
        self.static_batch: list[int] = []
        self.static_left = 0  # static batching: decode iterations left for the batch
        # DECODE plan: n iterations from t0 of a batch B with contexts S0
        self.n = 0
        self.t0 = 0.0
        self.B = 0
        self._k = 0.0
        self._a1 = self._b1 = self._a2 = self._b2 = 0.0
        self._split = NEVER
        self._coef = (
            (step.c0, step.c_tok, step.c_ctx),
            (step.m0, step.m_tok, step.m_ctx, step.k0, step.k_tok),
        )
        self._by_batch: dict[int, tuple[float, float, float, float, float]] = {}  # see _decode_coef

    # ---- driver interface ---------------------------------------------------------------
    def advance(self, until: float) -> None:
        """Carry out every planned operation that ends before `until`."""
        while self.plan_end < until:
            t_end = self.plan_end
            plan = self.plan
            if plan == DECODE:
                self._commit_decode(t_end)
            elif plan == STEP:
                self._commit_step(t_end)
            self.busy_s += t_end - self.t
            self.t = t_end
            self._schedule()

    def submit(self, rid: int, t_s: float) -> None:
        """A request arrives at `t_s`."""
        if self.plan_end < t_s:
            self.advance(t_s)
        self.r.replica[rid] = self.index
        self.waiting.append(rid)
        self.outstanding += 1
        if self.plan == IDLE:
            self.segments.add(self.t, t_s, 0)
            self.t = t_s
            self.plan = WAKE
            self.plan_end = t_s
        elif (
            self.plan == DECODE
            and not self.static
            and len(self.waiting) == 1
            and len(self.running) + len(self.prefilling) < self.max_batch
        ):
            cut = (0 if t_s <= self.t0 else 1) if self.reference else self._steps_to(t_s - self.t0)
            if cut < self.n:
                self.n = cut
                self.plan_end = self.t0 + self._cum(cut)

    def finish(self, stop_s: float) -> None:
        """Run to `stop_s`, cutting the operation in flight there (its power up to `stop_s`,
        shared as usual); the running requests' energy is settled."""
        self.advance(stop_s)
        r = self.r
        if self.plan != IDLE and self.plan_end > self.t:
            t0 = self.t
            if self.plan == STEP:
                tokens = self.step_tokens
                joules = self.excess_w(tokens) * (stop_s - t0)
                for rid, take, _start in self.chunks:
                    r.energy[rid] += joules * take / tokens
                if self.step_decodes:
                    self.E += joules / tokens
            else:
                tokens = self.B
                joules = self.excess_w(tokens) * (stop_s - t0)
                if self.static:
                    for rid in self.static_batch:
                        r.energy[rid] += joules / tokens
                else:
                    self.E += joules / tokens
            self.segments.add(t0, stop_s, tokens)
            self.busy_s += stop_s - t0
            self.t = stop_s
        for rid in self.running:
            r.energy[rid] += self.E - r.join_energy[rid]
        self.plan = IDLE
        self.plan_end = math.inf

    def fail(self, t_s: float) -> list[int]:
        """Its GPUs fail at `t_s`: the operation in flight is cut there (its energy still
        shared), the KV cache is lost, and the requests it held are returned in arrival
        order, each with the tokens it had generated so far (a static batch starts over)."""
        held_step = [c[0] for c in self.chunks] if self.plan == STEP and not self.chunked else []
        self.finish(t_s)
        self.segments.add(self.t, t_s, 0)
        r = self.r
        for rid in self.running:
            r.generated[rid] += self.G - r.join_step[rid]
        held = [*self.running, *(e[0] for e in self.prefilling), *self.static_batch, *self.waiting]
        if not self.static:
            held += held_step
        for rid in self.static_batch:
            r.generated[rid] = 0
        self.waiting.clear()
        self.running.clear()
        self.prefilling.clear()
        self.heap.clear()
        self.static_batch = []
        self.static_left = 0
        self.S = self.reserved = self.outstanding = 0
        self.t = t_s
        return sorted(set(held))

    def restart(self, t_s: float) -> None:
        """Back on (new) GPUs at `t_s`, empty; it draws idle power until work comes."""
        self.t = t_s

    # ---- scheduling -----------------------------------------------------------------------
    def _schedule(self) -> None:
        """Choose the next operation at time `self.t`."""
        if self.static:
            self._schedule_static()
            return
        running = self.running
        if not self.waiting and not self.prefilling:  # fast path: the batch only decodes
            batch = len(running)
            if not batch:
                self.plan = IDLE
                self.plan_end = math.inf
                return
            if self.S + batch + self.reserved <= self.capacity:
                self._plan_decode(batch)
                return
        r = self.r
        # The next iteration decodes every running request: make room for their new tokens.
        while self.running and self.S + len(self.running) + self.reserved > self.capacity:
            self._preempt(next(reversed(self.running)))
        if not self.chunked:
            self._admit_whole_prompts()
            return
        budget = self.max_tokens - len(self.running)
        chunks = []
        if self.chunked:
            for entry in self.prefilling:
                if budget <= 0:
                    break
                take = min(budget, entry[2] - entry[1])
                chunks.append((entry[0], take, entry[1]))
                budget -= take
        used = 0
        while self.waiting and budget > 0 and len(self.running) + len(self.prefilling) < self.max_batch:
            rid = self.waiting[0]
            need = r.prompt[rid] + r.generated[rid]
            # room for its KV and for one more token of every request in the batch
            batch = len(self.running) + len(self.prefilling) + 1
            if self.S + self.reserved + need + 1 + batch > self.admit_limit:
                break
            if not self.chunked and used and need > budget:
                break
            self.waiting.popleft()
            self.reserved += need + 1
            if r.admitted[rid] != r.admitted[rid]:  # NaN: first admission
                r.admitted[rid] = self.t
            take = need if not self.chunked else min(budget, need)
            self.prefilling.append([rid, 0, need])
            chunks.append((rid, take, 0))
            budget -= take
            used += take
        if chunks:
            self.chunks = chunks
            self.step_decodes = len(self.running) if self.chunked else 0
            self.step_tokens = tokens = self.step_decodes + sum(c[1] for c in chunks)
            attn = self.S if self.step_decodes else 0
            kv = attn
            for _rid, take, start in chunks:
                attn += prefill_context(take, start)
                kv += start
            self.plan = STEP
            self.plan_end = self.t + self.step.step_time_s(tokens, attn, kv)
            return
        if not self.running:
            self.plan = IDLE
            self.plan_end = math.inf
            return
        self._plan_decode(len(self.running))

    def _admit_whole_prompts(self) -> None:
        """Without chunked prefill: one iteration prefills every admitted prompt whole."""
        r, waiting, running = self.r, self.waiting, self.running
        prompt, generated, admitted = r.prompt, r.generated, r.admitted
        limit, budget, max_batch = self.admit_limit, self.max_tokens, self.max_batch
        kv = self.S + self.reserved
        batch = len(running) + 1
        chunks = []
        used = 0
        attn = 0.0
        while waiting and batch <= max_batch:
            rid = waiting[0]
            need = prompt[rid] + generated[rid]
            # room for its KV and for one more token of every request in the batch
            if kv + need + 1 + batch > limit or (used and used + need > budget):
                break
            waiting.popleft()
            kv += need + 1
            if admitted[rid] != admitted[rid]:  # NaN: first admission
                admitted[rid] = self.t
            chunks.append((rid, need, 0))
            used += need
            attn += need * (need + 1) / 2.0
            batch += 1
        if chunks:
            self.reserved = kv - self.S
            self.chunks = chunks
            self.step_decodes = 0
            self.step_tokens = used
            self.plan = STEP
            self.plan_end = self.t + self.step.step_time_s(used, attn, 0)
        elif running:
            self._plan_decode(len(running))
        else:
            self.plan = IDLE
            self.plan_end = math.inf

    def _plan_decode(self, batch: int) -> None:
        if self.static:
            n = self.static_left
        else:
            heap, running, epoch = self.heap, self.running, self.r.preemptions
            top = heap[0]
            while top[1] not in running or top[2] != epoch[top[1]]:
                heapq.heappop(heap)
                top = heap[0]
            n = top[0] - self.G
            n_kv = (self.capacity - self.reserved - self.S) // batch
            if n_kv < n:
                n = n_kv
        self.plan = DECODE
        self.t0 = t = self.t
        self.B = batch
        s0 = self.S
        if self.reference:
            self.n = min(n, 1)
            self.plan_end = t + self.step.step_time_s(batch, s0, s0)
            return
        self.n = n
        coef = self._by_batch.get(batch)
        if coef is None:
            coef = self._decode_coef(batch)
        ca0, cb, ma0, mb, self._k = coef
        c, m = self._coef
        ca = ca0 + c[2] * s0
        ma = ma0 + m[2] * s0
        d0, db = ca - ma, cb - mb
        if d0 >= 0:
            self._a1, self._b1, self._a2, self._b2 = ca, cb, ma, mb
            self._split = NEVER if db >= 0 else int(d0 / -db) + 1
        else:
            self._a1, self._b1, self._a2, self._b2 = ma, mb, ca, cb
            self._split = NEVER if db <= 0 else int(-d0 / db) + 1
        if n <= self._split:
            self.plan_end = t + n * (self._k + self._a1) + self._b1 * (n * (n - 1) / 2.0)
        else:
            self.plan_end = t + self._cum(n)

    def _decode_coef(self, batch: int) -> tuple[float, float, float, float, float]:
        """The parts of a decode stretch's time coefficients that depend on the batch size only
        (same operations in the same order as written out in full: bit-identical)."""
        c, m = self._coef
        weights = self.step.weights_s(batch)  # m[0] for dense models; MoE: the experts used
        coef = (c[0] + c[1] * batch, c[2] * batch, weights + m[1] * batch, m[2] * batch, m[3] + m[4] * batch)
        self._by_batch[batch] = coef
        return coef

    def _cum(self, n: int) -> float:
        """Seconds of the first `n` iterations of the planned decode stretch."""
        k = self._split
        if n <= k:
            return n * (self._k + self._a1) + self._b1 * (n * (n - 1) / 2.0)
        first = k * (self._k + self._a1) + self._b1 * (k * (k - 1) / 2.0)
        return first + (n - k) * (self._k + self._a2) + self._b2 * ((n * (n - 1) - k * (k - 1)) / 2.0)

    def _steps_to(self, delta: float) -> int:
        """Fewest iterations of the planned stretch that last at least `delta` seconds."""
        if delta <= 0:
            return 0
        k = self._split
        a, b, n0, t0 = self._k + self._a1, self._b1, 0, 0.0
        if k < NEVER:
            tk = self._cum(k)
            if tk < delta:
                a, b, n0, t0 = self._k + self._a2, self._b2, k, tk
        rest = delta - t0
        first = a + b * n0  # time of iteration n0
        q = first - b / 2.0
        if b > 0:
            root = math.sqrt(q * q + 2.0 * b * rest)
            m = 2.0 * rest / (q + root) if q > 0 else (root - q) / b
        else:
            m = rest / first
        n = n0 + max(0, math.ceil(m))
        # exact check of the rounded root; `_cum` inlined (same operations) before the split
        ka, b1, cum = self._k + self._a1, self._b1, self._cum
        while (
            n > 0 and ((n - 1) * ka + b1 * ((n - 1) * (n - 2) / 2.0) if n <= k + 1 else cum(n - 1)) >= delta
        ):
            n -= 1
        while (n * ka + b1 * (n * (n - 1) / 2.0) if n <= k else cum(n)) < delta:
            n += 1
        return n

    def _schedule_static(self) -> None:
        r = self.r
        if self.static_left > 0:
            self._plan_decode(len(self.static_batch))
            return
        if not self.waiting:
            self.plan = IDLE
            self.plan_end = math.inf
            return
        batch: list[int] = []
        longest_p = longest_o = 0
        for rid in self.waiting:
            if len(batch) == self.max_batch:
                break
            p, o = max(longest_p, r.prompt[rid]), max(longest_o, r.output[rid])
            if batch and (
                (len(batch) + 1) * (p + o) > self.capacity or (len(batch) + 1) * p > self.max_tokens
            ):
                break
            batch.append(rid)
            longest_p, longest_o = p, o
        for _ in batch:
            rid = self.waiting.popleft()
            r.admitted[rid] = self.t
        self.static_batch = batch
        self.static_left = longest_o - 1
        self.S = len(batch) * (longest_p + 1)
        self.chunks = [(rid, longest_p, 0) for rid in batch]
        self.step_decodes = 0
        self.step_tokens = len(batch) * longest_p
        k = len(batch)
        self.plan = STEP
        self.plan_end = self.t + self.step.step_time_s(k * longest_p, k * prefill_context(longest_p, 0), 0)

    # ---- carrying out the plan -------------------------------------------------------------
    def _commit_step(self, t_end: float) -> None:
        r = self.r
        decodes = self.step_decodes
        tokens = self.step_tokens
        t0 = self.t
        joules = self.excess_w(tokens) * (t_end - t0)
        if t_end > t0:  # Segments.add, inlined (hot path)
            seg = self.segments
            seg.t0.append(t0)
            seg.t1.append(t_end)
            seg.tokens.append(tokens)
        if self.static:
            share = joules / len(self.chunks)
            for rid, _take, _start in self.chunks:
                r.energy[rid] += share
                r.first_token[rid] = t_end
            if self.static_left == 0:
                self._finish_static(t_end)
            return
        if not self.chunked:  # fast path: whole prompts, no decodes in the iteration
            self.prefilling.clear()
            self._join_all(t_end, joules, tokens)
            return
        if decodes:
            self.G += 1
            self.S += decodes
            self.E += joules / tokens
            self._complete(t_end)
        done = []
        for entry, (rid, take, _start) in zip(self.prefilling, self.chunks):
            r.energy[rid] += joules * take / tokens
            entry[1] += take
            if entry[1] == entry[2]:
                done.append(entry)
        for entry in done:
            self.prefilling.remove(entry)
            rid, total = entry[0], entry[2]
            self.reserved -= total + 1
            g = r.generated[rid] + 1
            if r.first_token[rid] != r.first_token[rid]:
                r.first_token[rid] = t_end
            if g >= r.output[rid]:
                r.finish[rid] = t_end
                r.generated[rid] = g
                self.outstanding -= 1
                continue
            r.generated[rid] = g
            r.join_step[rid] = self.G
            r.join_energy[rid] = self.E
            self.S += total + 1
            self.running[rid] = None
            heapq.heappush(self.heap, (self.G + r.output[rid] - g, rid, r.preemptions[rid]))

    def _join_all(self, t_end: float, joules: float, tokens: int) -> None:
        """Whole prompts were prefilled: each request gets its first token and joins the batch."""
        r, g_now, e_now = self.r, self.G, self.E
        for rid, take, _start in self.chunks:
            r.energy[rid] += joules * take / tokens
            self.reserved -= take + 1
            g = r.generated[rid] + 1
            r.generated[rid] = g
            if r.first_token[rid] != r.first_token[rid]:
                r.first_token[rid] = t_end
            out = r.output[rid]
            if g >= out:
                r.finish[rid] = t_end
                self.outstanding -= 1
                continue
            r.join_step[rid] = g_now
            r.join_energy[rid] = e_now
            self.S += take + 1
            self.running[rid] = None
            heapq.heappush(self.heap, (g_now + out - g, rid, r.preemptions[rid]))

    def _commit_decode(self, t_end: float) -> None:
        n, batch = self.n, self.B
        if n == 0:
            return
        t0 = self.t0
        seconds = t_end - t0
        if seconds > 0:  # Segments.add, inlined (hot path)
            seg = self.segments
            seg.t0.append(t0)
            seg.t1.append(t_end)
            seg.tokens.append(batch)
        if self.static:
            share = self.excess_w(batch) * seconds / batch
            for rid in self.static_batch:
                self.r.energy[rid] += share
            self.static_left -= n
            self.S += n * batch
            if self.static_left == 0:
                self._finish_static(t_end)
            return
        self.E += self.excess_w(batch) * seconds / batch
        self.G += n
        self.S += n * batch
        heap = self.heap
        if heap and heap[0][0] <= self.G:  # _complete's own loop test, checked before the call
            self._complete(t_end)

    def _complete(self, t_end: float) -> None:
        """Finish the running requests whose last token was produced by step `self.G`."""
        heap, running, r, g = self.heap, self.running, self.r, self.G
        while heap and heap[0][0] <= g:
            _step, rid, epoch = heapq.heappop(heap)
            if rid not in running or epoch != r.preemptions[rid]:
                continue
            del running[rid]
            r.finish[rid] = t_end
            r.generated[rid] = r.output[rid]
            r.energy[rid] += self.E - r.join_energy[rid]
            self.S -= r.prompt[rid] + r.output[rid]
            self.outstanding -= 1

    def _finish_static(self, t_end: float) -> None:
        for rid in self.static_batch:
            self.r.finish[rid] = t_end
            self.r.generated[rid] = self.r.output[rid]
        self.outstanding -= len(self.static_batch)
        self.static_batch = []
        self.S = 0

    def _preempt(self, rid: int) -> None:
        """Free `rid`'s KV cache and put it first in line (recompute on readmission)."""
        r = self.r
        g = r.generated[rid] + (self.G - r.join_step[rid])
        r.energy[rid] += self.E - r.join_energy[rid]
        r.generated[rid] = g
        r.preemptions[rid] += 1
        self.S -= r.prompt[rid] + g
        del self.running[rid]
        self.waiting.appendleft(rid)


__all__ = ["NAN", "Replica", "Segments"]
