"""Per-request energy: each iteration's energy above idle, shared by the tokens processed.

A prefill (or mixed) iteration gives each request its tokens' share at once. A decode
iteration gives every running request an equal share; rather than adding it to each request
at every stretch, `per_running_j` accumulates the share of one running request since the
replica started, and a request takes `per_running_j` minus its mark from when it joined the
batch when it leaves (completion, preemption, failure, end of the run). So the requests'
energies sum to the replica's energy above idle, exactly.
"""

from __future__ import annotations

from collections.abc import Callable

from simcompute.engine.inference.state import RequestState


class ExcessWatts(dict[int, float]):
    """Watts above idle of an iteration of `tokens` tokens, by tokens: computed on first use,
    then a plain dict lookup (the hot paths index it)."""

    def __init__(self, watts: Callable[[int], float]):
        super().__init__()
        self._watts = watts

    def __missing__(self, tokens: int) -> float:
        watts = self[tokens] = self._watts(tokens)
        return watts


class EnergyShares:
    """The shares of one replica's energy above idle (see the module docstring)."""

    __slots__ = ("energy_j", "excess_w", "joined_at_j", "per_running_j")

    def __init__(self, excess_w: ExcessWatts, reqs: RequestState):
        self.excess_w = excess_w  # watts above idle of an iteration, by its tokens
        self.energy_j = reqs.energy
        self.joined_at_j = reqs.join_energy
        self.per_running_j = 0.0

    def decode(self, batch: int, seconds: float) -> None:
        """`seconds` of decoding a batch of `batch` running requests."""
        self.per_running_j += self.excess_w[batch] * seconds / batch

    def join(self, rid: int) -> None:
        self.joined_at_j[rid] = self.per_running_j

    def leave(self, rid: int) -> None:
        self.energy_j[rid] += self.per_running_j - self.joined_at_j[rid]

    def step(self, chunks: list[tuple[int, int, int]], decodes: int, seconds: float) -> float:
        """`seconds` of an iteration that prefills `chunks` (rid, tokens, start) and decodes
        `decodes` running requests: each its tokens' share. Returns the iteration's joules."""
        tokens = decodes + sum(c[1] for c in chunks)
        joules = self.excess_w[tokens] * seconds
        energy = self.energy_j
        for rid, take, _start in chunks:
            energy[rid] += joules * take / tokens
        if decodes:
            self.per_running_j += joules / tokens
        return joules

    def equal(self, rids: list[int], tokens: int, seconds: float) -> None:
        """`seconds` of an iteration of `tokens` tokens shared equally by `rids` (a static batch)."""
        share = self.excess_w[tokens] * seconds / len(rids)
        energy = self.energy_j
        for rid in rids:
            energy[rid] += share
