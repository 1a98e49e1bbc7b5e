"""Batching policies: what a replica runs next. Each is a `Replica` subclass in `BATCHING`.

- `continuous` follows vLLM's default scheduler: waiting requests are admitted first come
  first served while the batch size, the iteration token budget and the KV cache allow
  (keeping a 1% KV watermark); one iteration prefills their whole prompts before decoding
  resumes. When the KV cache cannot hold the next iteration, the most recently admitted
  request is preempted (its KV freed, recomputed later as a prefill of its prompt plus the
  tokens it had generated).
- `chunked`: the same, with prompt chunks sharing iterations with the decodes of the running
  batch, up to the token budget (vLLM's chunked prefill).
- `static` is the baseline: a batch of waiting requests is padded to its longest prompt and
  decodes until its longest output is done; then the next batch starts.
"""

from __future__ import annotations

from heapq import heappush

from simcompute.config import InferenceWorkload
from simcompute.engine.inference.replica import DECODE, STEP, Replica, pack_segment
from simcompute.perf.inference import prefill_context


class ContinuousBatching(Replica):
    """Continuous batching, each admitted prompt prefilled whole in one iteration."""

    __slots__ = ("_prefill_s",)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._prefill_s: dict[int, float] = {}  # seconds of an iteration prefilling one prompt, by its tokens

    def _schedule(self) -> None:
        running = self.running
        batch = len(running)
        if not self.waiting:  # fast path: the batch only decodes
            if not batch:
                self._idle()
                return
            if self.kv_tokens + batch + self.kv_reserved <= self.kv_capacity:
                self._plan_decode(batch)
                return
        if self.kv_tokens + batch + self.kv_reserved > self.kv_capacity:
            self._make_room()
        self._admit()

    def _make_room(self) -> None:
        """The next iteration decodes every running request: make room for their new tokens."""
        running = self.running
        while running and self.kv_tokens + len(running) + self.kv_reserved > self.kv_capacity:
            self._preempt(next(reversed(running)))

    def _admit(self) -> None:
        """Admit waiting requests into one iteration that prefills their prompts whole."""
        reqs, waiting, running = self.reqs, self.waiting, self.running
        prompt, generated, admitted = reqs.prompt, reqs.generated, reqs.admitted
        limit, budget, max_batch = self.admit_limit, self.max_tokens, self.max_batch
        kv_tokens = self.kv_tokens
        kv = kv_tokens + self.kv_reserved
        batch = len(running) + 1
        chunks = []
        tokens = 0
        attn = 0.0
        reserve, output, committed = self.reserve_full_output, reqs.output, self.kv_committed
        while waiting and batch <= max_batch:
            rid = waiting[0]
            need = prompt[rid] + generated[rid]
            # room for its KV and for one more token of every request in the batch
            if kv + need + 1 + batch > limit or (tokens and tokens + need > budget):
                break
            final = prompt[rid] + output[rid]
            if reserve and committed + final > limit:  # no room for its whole answer
                break
            committed += final
            waiting.popleft()
            kv += need + 1
            if admitted[rid] != admitted[rid]:  # NaN: first admission
                admitted[rid] = self.t
            chunks.append((rid, need, 0))
            tokens += need
            attn += need * (need + 1) / 2.0
            batch += 1
        self.kv_committed = committed
        if chunks:
            self.kv_reserved = kv - kv_tokens
            self.step_chunks = chunks
            self.step_decodes = 0
            self.step_tokens = tokens
            self.plan = STEP
            if len(chunks) == 1:  # one prompt: its iteration's time depends on its length only
                seconds = self._prefill_s.get(tokens)
                if seconds is None:
                    seconds = self._prefill_s[tokens] = self.step.step_time_s(tokens, attn, 0, 1)
            else:
                seconds = self.step.step_time_s(tokens, attn, 0, len(chunks))
            self.plan_end = self.t + seconds
        elif running:
            self._plan_decode(len(running))
        else:
            self._idle()

    def _commit_step(self, t_end: float) -> None:
        """Whole prompts were prefilled: each request gets its first token and joins the batch."""
        t0, tokens = self.t, self.step_tokens
        joules = self.energy.excess_w[tokens] * (t_end - t0)
        if t_end > t0:  # Segments.add, inlined (hot path)
            self.add_segment(pack_segment(t0, t_end, tokens))
        reqs, running, completions = self.reqs, self.running, self.completions
        energy_j, first_token, generated_of, output = (
            reqs.energy,
            reqs.first_token,
            reqs.generated,
            reqs.output,
        )
        join_step, join_energy, epochs = reqs.join_step, reqs.join_energy, reqs.preemptions
        step, joined_at_j = self.decode_steps, self.energy.per_running_j
        reserved = joined = committed = done = 0  # KV tokens and requests, settled after the loop
        for rid, take, _start in self.step_chunks:
            energy_j[rid] += joules * take / tokens
            reserved += take + 1
            generated = generated_of[rid] + 1
            generated_of[rid] = generated
            if first_token[rid] != first_token[rid]:
                first_token[rid] = t_end
            out = output[rid]
            if generated >= out:
                reqs.finish[rid] = t_end
                committed += reqs.prompt[rid] + out
                done += 1
                continue
            # `_join`, inlined (hot path)
            join_step[rid] = step
            join_energy[rid] = joined_at_j
            joined += take + 1
            running[rid] = None
            heappush(completions, (step + out - generated, rid, epochs[rid]))
        self.kv_reserved -= reserved
        self.kv_tokens += joined
        if done:
            self.kv_committed -= committed
            self.outstanding -= done

    def _held(self) -> list[int]:
        held = super()._held()
        if self.plan == STEP:
            held += [rid for rid, _take, _start in self.step_chunks]
        return held


class ChunkedPrefill(ContinuousBatching):
    """Continuous batching whose prompt chunks share iterations with the running decodes."""

    __slots__ = ()

    def _schedule(self) -> None:
        running, prefilling, waiting = self.running, self.prefilling, self.waiting
        if not waiting and not prefilling:  # fast path: the batch only decodes
            batch = len(running)
            if not batch:
                self._idle()
                return
            if self.kv_tokens + batch + self.kv_reserved <= self.kv_capacity:
                self._plan_decode(batch)
                return
        self._make_room()
        reqs = self.reqs
        budget = self.max_tokens - len(running)
        chunks = []
        for entry in prefilling:
            if budget <= 0:
                break
            take = min(budget, entry[2] - entry[1])
            chunks.append((entry[0], take, entry[1]))
            budget -= take
        while waiting and budget > 0 and len(running) + len(prefilling) < self.max_batch:
            rid = waiting[0]
            need = reqs.prompt[rid] + reqs.generated[rid]
            # room for its KV and for one more token of every request in the batch
            batch = len(running) + len(prefilling) + 1
            if self.kv_tokens + self.kv_reserved + need + 1 + batch > self.admit_limit:
                break
            final = reqs.prompt[rid] + reqs.output[rid]
            if self.reserve_full_output and self.kv_committed + final > self.admit_limit:
                break
            self.kv_committed += final
            waiting.popleft()
            self.kv_reserved += need + 1
            if reqs.admitted[rid] != reqs.admitted[rid]:  # NaN: first admission
                reqs.admitted[rid] = self.t
            take = min(budget, need)
            prefilling.append([rid, 0, need])
            chunks.append((rid, take, 0))
            budget -= take
        if chunks:
            self.step_chunks = chunks
            self.step_decodes = len(running)
            self.step_tokens = tokens = self.step_decodes + sum(c[1] for c in chunks)
            attn = self.kv_tokens if self.step_decodes else 0
            kv = attn
            for _rid, take, start in chunks:
                attn += prefill_context(take, start)
                kv += start
            self.plan = STEP
            self.plan_end = self.t + self.step.step_time_s(tokens, attn, kv, self.step_decodes + len(chunks))
        elif running:
            self._plan_decode(len(running))
        else:
            self._idle()

    def _commit_step(self, t_end: float) -> None:
        """A mixed iteration ended: the running batch decoded one token, chunks were prefilled;
        requests whose prompt is complete get their first token and join the batch."""
        reqs, decodes, tokens, t0 = self.reqs, self.step_decodes, self.step_tokens, self.t
        joules = self.energy.excess_w[tokens] * (t_end - t0)
        self.segments.add(t0, t_end, tokens)
        if decodes:
            self.decode_steps += 1
            self.kv_tokens += decodes
            self.energy.per_running_j += joules / tokens
            self._complete(t_end)
        done = []
        for entry, (rid, take, _start) in zip(self.prefilling, self.step_chunks):
            reqs.energy[rid] += joules * take / tokens
            entry[1] += take
            if entry[1] == entry[2]:
                done.append(entry)
        for entry in done:
            self.prefilling.remove(entry)
            rid, total = entry[0], entry[2]
            self.kv_reserved -= total + 1
            generated = reqs.generated[rid] + 1
            reqs.generated[rid] = generated
            if reqs.first_token[rid] != reqs.first_token[rid]:
                reqs.first_token[rid] = t_end
            if generated >= reqs.output[rid]:
                reqs.finish[rid] = t_end
                self.kv_committed -= reqs.prompt[rid] + reqs.output[rid]
                self.outstanding -= 1
                continue
            self._join(rid, generated, total + 1)

    def _held(self) -> list[int]:
        return [*self.running, *(entry[0] for entry in self.prefilling), *self.waiting]


class StaticBatching(Replica):
    """Static batches: pad to the longest prompt, decode until the longest output is done."""

    __slots__ = ("batch_rids", "decodes_left")

    ARRIVALS_CUT_DECODE = False

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.batch_rids: list[int] = []
        self.decodes_left = 0  # decode iterations left for the batch

    def _schedule(self) -> None:
        if self.decodes_left > 0:
            self.plan = DECODE
            batch = len(self.batch_rids)
            self.plan_end = self.stretch.plan(self.t, self.decodes_left, batch, self.kv_tokens)
            return
        if not self.waiting:
            self._idle()
            return
        reqs = self.reqs
        batch: list[int] = []
        longest_prompt = longest_output = 0
        for rid in self.waiting:
            if len(batch) == self.max_batch:
                break
            p, o = max(longest_prompt, reqs.prompt[rid]), max(longest_output, reqs.output[rid])
            if batch and (
                (len(batch) + 1) * (p + o) > self.kv_capacity or (len(batch) + 1) * p > self.max_tokens
            ):
                break
            batch.append(rid)
            longest_prompt, longest_output = p, o
        for _ in batch:
            rid = self.waiting.popleft()
            reqs.admitted[rid] = self.t
        k = len(batch)
        self.batch_rids = batch
        self.decodes_left = longest_output - 1
        self.kv_tokens = k * (longest_prompt + 1)
        self.step_chunks = [(rid, longest_prompt, 0) for rid in batch]
        self.step_decodes = 0
        self.step_tokens = k * longest_prompt
        self.plan = STEP
        attn = k * prefill_context(longest_prompt, 0)
        self.plan_end = self.t + self.step.step_time_s(k * longest_prompt, attn, 0, k)

    def _commit_step(self, t_end: float) -> None:
        self.segments.add(self.t, t_end, self.step_tokens)
        self.energy.equal(self.batch_rids, self.step_tokens, t_end - self.t)
        for rid in self.batch_rids:
            self.reqs.first_token[rid] = t_end
        if self.decodes_left == 0:
            self._finish_batch(t_end)

    def _commit_decode(self, t_end: float) -> None:
        stretch = self.stretch
        n, batch = stretch.n, stretch.batch
        if n == 0:
            return
        self.segments.add(stretch.start_s, t_end, batch)
        self._share_decode(batch, t_end - stretch.start_s)
        self.decodes_left -= n
        self.kv_tokens += n * batch
        if self.decodes_left == 0:
            self._finish_batch(t_end)

    def _share_decode(self, batch: int, seconds: float) -> None:
        self.energy.equal(self.batch_rids, batch, seconds)

    def _finish_batch(self, t_end: float) -> None:
        reqs = self.reqs
        for rid in self.batch_rids:
            reqs.finish[rid] = t_end
            reqs.generated[rid] = reqs.output[rid]
        self.outstanding -= len(self.batch_rids)
        self.batch_rids = []
        self.kv_tokens = 0

    def _held(self) -> list[int]:
        return [*self.batch_rids, *self.waiting]

    def fail(self, t_s: float) -> list[int]:
        """As `Replica.fail`; the batch's requests start over (their tokens were padded)."""
        batch = self.batch_rids
        held = super().fail(t_s)
        for rid in batch:
            self.reqs.generated[rid] = 0
        return held

    def _empty(self) -> None:
        super()._empty()
        self.batch_rids = []
        self.decodes_left = 0


BATCHING: dict[str, type[Replica]] = {
    "continuous": ContinuousBatching,
    "chunked": ChunkedPrefill,
    "static": StaticBatching,
}
"""Batching policies by name (`batching_policy` maps a workload's fields to one)."""


def batching_policy(cfg: InferenceWorkload) -> type[Replica]:
    """The policy of a workload: `scheduler: static`, or continuous with or without
    `chunked_prefill`."""
    if cfg.scheduler == "static":
        return BATCHING["static"]
    return BATCHING["chunked" if cfg.chunked_prefill else "continuous"]
