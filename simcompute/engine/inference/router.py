"""Routers: which of the replicas that are up gets an arriving request."""

from __future__ import annotations

from simcompute.engine.inference.replica import Replica


class RoundRobin:
    """Replicas in turn, regardless of their load."""

    def __init__(self, live: list[Replica]):
        self.live = live  # the service's list of replicas up now (changed in place)
        self.next = 0

    def choose(self, t_s: float) -> Replica:
        live = self.live
        if self.next >= len(live):
            self.next = 0
        replica = live[self.next]
        self.next += 1
        return replica


class LeastOutstanding:
    """The replica with the fewest requests submitted and not yet answered (lowest index on ties).

    Every replica is brought up to the arrival time first, so completions before it count.
    """

    def __init__(self, live: list[Replica]):
        self.live = live

    def choose(self, t_s: float) -> Replica:
        best = None
        for replica in self.live:
            replica.advance(t_s)
            if best is None or replica.outstanding < best.outstanding:
                best = replica
        assert best is not None
        return best


ROUTERS = {"round_robin": RoundRobin, "least_outstanding": LeastOutstanding}
