"""Request traffic for inference services: arrival processes, token lengths and trace files."""

from __future__ import annotations

import numpy as np

from simcompute.config.inference import (
    DEFAULT_OUTPUT_TOKENS,
    DEFAULT_PROMPT_TOKENS,
    FixedLength,
    InferenceWorkload,
)
from simcompute.traffic.arrivals import arrival_times, diurnal_rate_per_s
from simcompute.traffic.lengths import sample_lengths
from simcompute.traffic.trace import Requests, read_trace


def generate_requests(cfg: InferenceWorkload, rng: np.random.Generator, path: str) -> Requests:
    """The request stream of a workload: from its trace, or drawn from its distributions.

    `path` is the workload's YAML path (`workloads[1]`) for errors. Draw order is fixed
    (arrivals, prompt lengths, output lengths) so a seed always gives the same stream.
    """
    count = int(cfg.requests) if cfg.requests is not None else None
    if cfg.arrivals.kind == "trace":
        reqs = read_trace(cfg.arrivals.path, f"{path}.arrivals.path")
        keep = np.ones(len(reqs), dtype=bool)
        if cfg.duration is not None:
            keep &= reqs.arrival_s < cfg.duration
        if count is not None:
            keep &= np.arange(len(reqs)) < count
        return Requests(reqs.arrival_s[keep], reqs.prompt_tokens[keep], reqs.output_tokens[keep])
    if cfg.arrivals.kind == "max_throughput":  # the config requires `requests`
        times = np.zeros(count or 0)
    else:
        times = arrival_times(cfg.arrivals, rng, cfg.duration, count)
    prompt = cfg.prompt_tokens or FixedLength(kind="fixed", value=DEFAULT_PROMPT_TOKENS)
    output = cfg.output_tokens or FixedLength(kind="fixed", value=DEFAULT_OUTPUT_TOKENS)
    n = len(times)
    return Requests(
        times,
        sample_lengths(prompt, n, rng, f"{path}.prompt_tokens.path"),
        sample_lengths(output, n, rng, f"{path}.output_tokens.path"),
    )


__all__ = [
    "Requests",
    "arrival_times",
    "diurnal_rate_per_s",
    "generate_requests",
    "read_trace",
    "sample_lengths",
]
