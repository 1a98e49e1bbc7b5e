"""Failure processes of the cluster's hardware, sampled per node, never per GPU.

Each node carries one pending failure time: the earliest of its GPUs' failures and its own
(non-GPU) failure. With exponential times that is one draw at the summed rate; with Weibull
times the minimum of `g` independent Weibull(k, s) draws is Weibull(k, s * g**(-1/k)), so it
is one draw too. A node is renewed (as good as new) when it is repaired, and draws its next
failure time from then. Failure domains (racks, switches) are consecutive groups of nodes
with their own process; a domain failure takes every node in it down at once.
"""

from __future__ import annotations

import math
from collections.abc import Callable

import numpy as np
import simpy

from simcompute.config.failures import FailuresConfig

HOUR_S = 3600.0


class _Lifetime:
    """Time-to-failure distribution of identical units with a given mean."""

    def __init__(self, mean_s: float, distribution: str, shape: float, units: int = 1):
        self.distribution, self.shape = distribution, shape
        if distribution == "weibull":
            scale = mean_s / math.gamma(1.0 + 1.0 / shape)
            self.scale = scale * units ** (-1.0 / shape)
            self.mean_s = self.scale * math.gamma(1.0 + 1.0 / shape)
        else:
            self.mean_s = mean_s / units

    def draw(self, rng: np.random.Generator, size: int) -> np.ndarray:
        if self.distribution == "weibull":
            return self.scale * rng.weibull(self.shape, size)
        return rng.exponential(self.mean_s, size)


class FailureModel:
    """The failure processes of a cluster of `nodes` nodes with `gpus_per_node` GPUs each."""

    def __init__(self, cfg: FailuresConfig, nodes: int, gpus_per_node: int):
        self.cfg, self.nodes = cfg, nodes
        k, dist = cfg.weibull_shape, cfg.distribution
        self.gpu = _Lifetime(cfg.gpu_mtbf_h * HOUR_S, dist, k, gpus_per_node) if cfg.gpu_mtbf_h else None
        self.node = _Lifetime(cfg.node_mtbf_h * HOUR_S, dist, k) if cfg.node_mtbf_h else None
        corr = cfg.correlated
        self.domain_nodes = corr.nodes if corr else 0
        self.domains = -(-nodes // corr.nodes) if corr else 0
        self.domain = _Lifetime(corr.mtbf_h * HOUR_S, dist, k) if corr else None

    def node_rate_per_s(self) -> float:
        """Long-run failure rate of one node from its own processes (1 / mean time to failure)."""
        rate = 0.0
        for life in (self.gpu, self.node):
            if life is not None:
                rate += 1.0 / life.mean_s
        return rate

    def job_mtbf_s(self, nodes: int) -> float:
        """Mean time between failures seen by a job on `nodes` nodes (its nodes' processes plus
        the domains it spans, assuming it is packed into consecutive domains)."""
        rate = nodes * self.node_rate_per_s()
        if self.domain is not None:
            rate += -(-nodes // self.domain_nodes) / self.domain.mean_s
        return 1.0 / rate if rate > 0 else math.inf

    def draw_nodes(self, rng: np.random.Generator, size: int) -> tuple[np.ndarray, np.ndarray]:
        """Times to failure of `size` fresh nodes, and whether each is a GPU failure."""
        gpu = self.gpu.draw(rng, size) if self.gpu else np.full(size, np.inf)
        node = self.node.draw(rng, size) if self.node else np.full(size, np.inf)
        return np.minimum(gpu, node), gpu <= node


class FailureProcess:
    """Schedules failures in the SimPy environment and reports them to `on_fail`.

    `on_fail(node, repair_s, cause)` takes a node down; `is_up(node)` tells whether a node is
    healthy. Node `i` draws from its own renewal; stale draws (a node already down when its
    time comes) are skipped and redrawn when `renew(node)` is called at its repair.
    """

    def __init__(
        self,
        env: simpy.Environment,
        model: FailureModel,
        seed: np.random.SeedSequence,
        on_fail: Callable[[int, float, str], None],
    ):
        self.env, self.model, self.on_fail = env, model, on_fail
        node_seq, domain_seq = seed.spawn(2)
        self.node_rng = np.random.default_rng(node_seq)
        self.domain_rng = np.random.default_rng(domain_seq)
        self.epoch = [0] * model.nodes
        if model.gpu is not None or model.node is not None:
            times, gpu = model.draw_nodes(self.node_rng, model.nodes)
            for node in range(model.nodes):
                self._schedule_node(node, float(times[node]), bool(gpu[node]))
        if model.domain is not None:
            for domain, t in enumerate(model.domain.draw(self.domain_rng, model.domains)):
                self._schedule_domain(domain, float(t))

    def _schedule_node(self, node: int, delay_s: float, gpu: bool) -> None:
        epoch = self.epoch[node]
        event = self.env.timeout(delay_s)
        event.callbacks.append(lambda _e: self._node_fails(node, epoch, gpu))

    def _node_fails(self, node: int, epoch: int, gpu: bool) -> None:
        if epoch == self.epoch[node]:
            self.epoch[node] += 1
            self.on_fail(node, self.model.cfg.repair_time, "gpu" if gpu else "node")

    def renew(self, node: int) -> None:
        """A repaired node starts a fresh lifetime now."""
        if self.model.gpu is None and self.model.node is None:
            return
        self.epoch[node] += 1
        times, gpu = self.model.draw_nodes(self.node_rng, 1)
        self._schedule_node(node, float(times[0]), bool(gpu[0]))

    def _schedule_domain(self, domain: int, delay_s: float) -> None:
        event = self.env.timeout(delay_s)
        event.callbacks.append(lambda _e: self._domain_fails(domain))

    def _domain_fails(self, domain: int) -> None:
        corr = self.model.cfg.correlated
        assert corr is not None and self.model.domain is not None
        first = domain * corr.nodes
        for node in range(first, min(first + corr.nodes, self.model.nodes)):
            self.epoch[node] += 1
            self.on_fail(node, corr.repair_time, "domain")
        # The domain is renewed at its repair; its next failure is drawn from then.
        delay = corr.repair_time + float(self.model.domain.draw(self.domain_rng, 1)[0])
        self._schedule_domain(domain, delay)
