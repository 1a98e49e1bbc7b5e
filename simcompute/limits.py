"""Work too large to simulate is refused before the simulation starts, with the estimate.

Every number a scenario gives is inside its physical range (the schema checks that), but
products of them can still ask for years of computing: 1e6 requests/s for a month, a
checkpoint every second of a year-long job, a failure process on ten million GPUs, a
timeseries row per millisecond. `check_work` estimates the simulation's size from the
resolved scenario and refuses it with the reason, the estimate and the limit.

The limits and the rates behind the time estimates are measured on one core
(`bench/RESULTS.md`: about 40,000 requests and 75,000 cluster events per second).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from simcompute.errors import ConfigError

if TYPE_CHECKING:
    from simcompute.resolve import ResolvedScenario

MAX_REQUESTS = 5_000_000
"""Requests of all services together: about 2 minutes and 4 GB (bench_inference: 848 MiB per 1e6)."""
MAX_DECODE_ITERATIONS = 20_000_000
"""`mode: reference` simulates every decode iteration: requests x output tokens of them."""
MAX_EVENTS = 10_000_000
"""Cluster events (checkpoints, failures, repairs): about 2 minutes."""
MAX_TIMESERIES_ROWS = 2_000_000
"""Rows of the timeseries table (`output.timeseries_interval` over the simulated time)."""
MAX_TRACE_ROWS = 5_000_000
"""Rows of a request trace (as `MAX_REQUESTS`) or of a job trace."""

REQUESTS_PER_S = 40_000.0
EVENTS_PER_S = 75_000.0
DEFAULT_OUTPUT_TOKENS = 256


def human_time(seconds: float) -> str:
    """`~3 minutes`, `~10 years`: the order of magnitude of a compute time."""
    if not math.isfinite(seconds) or seconds > 1e12 * 365 * 86400.0:
        return "forever"
    for unit, size in (("years", 365 * 86400.0), ("days", 86400.0), ("hours", 3600.0), ("minutes", 60.0)):
        if seconds >= 2 * size:
            return f"~{short_number(seconds / size)} {unit}"
    return f"~{seconds:.2g} s"


def short_number(x: float) -> str:
    """`1.4e7`, `5e6`, `320`: a count in two significant digits."""
    if not math.isfinite(x) or x > 1e300:
        return "unbounded"
    if x < 10_000:
        return f"{x:,.0f}" if x >= 10 else f"{x:.2g}"
    return f"{x:.2g}".replace("e+0", "e").replace("e+", "e")


def _refuse(path: str, what: str, amount: float, per_s: float, limit: float, hint: str) -> ConfigError:
    return ConfigError(
        path,
        f"~{short_number(amount)} {what} would take {human_time(amount / per_s)} to simulate; "
        f"at most {short_number(limit)} ({hint})",
    )


def expected_requests(cfg) -> float:
    """Requests a generated (not trace) arrival process makes: rate x duration, capped by `requests`."""
    arrivals = cfg.arrivals
    if arrivals.kind == "trace":
        return 0.0
    if arrivals.kind == "diurnal":
        table = arrivals.hourly_rate_per_s
        rate = sum(table) / len(table) if table is not None else arrivals.mean_rate_per_s
    else:
        rate = arrivals.rate_per_s
    by_time = rate * cfg.duration if cfg.duration is not None else float("inf")
    by_count = cfg.requests if cfg.requests is not None else float("inf")
    return min(by_time, by_count)


def _mean_output_tokens(spec) -> float:
    if spec is None:
        return DEFAULT_OUTPUT_TOKENS
    return {"fixed": lambda: spec.value, "uniform": lambda: (spec.low + spec.high) / 2,
            "lognormal": lambda: spec.mean}.get(spec.kind, lambda: 1.0)()  # fmt: skip


def failure_rates_per_s(resolved: ResolvedScenario, gpus: int | None = None) -> float:
    """Failures per second that hit `gpus` GPUs (packed on whole nodes), or the whole cluster."""
    failures, cluster = resolved.scenario.failures, resolved.cluster
    if failures is None:
        return 0.0
    gpn = cluster.node.gpus_per_node
    gpus = cluster.total_gpus if gpus is None else gpus
    nodes = -(-gpus // gpn)
    per_h = gpus / failures.gpu_mtbf_h if failures.gpu_mtbf_h else 0.0
    per_h += nodes / failures.node_mtbf_h if failures.node_mtbf_h else 0.0
    if failures.correlated is not None:
        per_h += -(-nodes // failures.correlated.nodes) / failures.correlated.mtbf_h
    return per_h / 3600.0


def time_to_finish_s(resolved: ResolvedScenario, job) -> float:
    """Expected time a job holds its GPUs when failures restart it from its last checkpoint.

    Each checkpoint interval of `c` seconds of work, at failure rate `lam` with restart
    overhead `r`, takes `(1/lam + r) * (exp(lam * c) - 1)` on average (the classic
    checkpoint-restart result); without checkpoints `c` is the whole job. This grows
    exponentially, which is how a too high failure rate makes a run that never ends.
    """
    lam = failure_rates_per_s(resolved, job.gpus)
    if lam <= 0:
        return job.work_s
    segment = min(job.checkpoint_every_s or job.work_s, job.work_s) or job.work_s
    if segment <= 0:
        return 0.0
    restart_s = resolved.scenario.failures.restart_overhead
    growth = math.expm1(min(lam * segment, 700.0))
    return job.work_s / segment * (1.0 / lam + restart_s) * growth


def simulated_time_s(resolved: ResolvedScenario) -> float:
    """An estimate of the simulated time: until the last job or service ends, at most the horizon."""
    jobs = resolved.cluster_jobs
    total_gpus = max(resolved.cluster.total_gpus, 1)
    end = max((j.submit_s + time_to_finish_s(resolved, j) for j in jobs), default=0.0)
    end = max(end, sum(time_to_finish_s(resolved, j) * j.gpus for j in jobs) / total_gpus)
    for service in resolved.services:
        cfg = service.config
        if cfg.duration is not None:
            end = max(end, cfg.duration)
    horizon = resolved.scenario.horizon
    return min(end, horizon) if horizon is not None else end


def check_work(resolved: ResolvedScenario) -> None:
    """Refuse a scenario whose simulation would be too large (see the limits above)."""
    requests = 0.0
    for service in resolved.services:
        cfg, path = service.config, service.path
        n = expected_requests(cfg)
        requests += n
        if requests > MAX_REQUESTS:
            raise _refuse(f"{path}.arrivals", "requests", requests, REQUESTS_PER_S, MAX_REQUESTS,
                          "lower the rate or the duration, or set requests")  # fmt: skip
        if cfg.mode == "reference":
            iterations = n * _mean_output_tokens(cfg.output_tokens)
            if iterations > MAX_DECODE_ITERATIONS:
                raise _refuse(f"{path}.mode", "decode iterations (mode: reference)", iterations,
                              REQUESTS_PER_S * 100, MAX_DECODE_ITERATIONS, "use mode: closed_form")  # fmt: skip
    sim_s = simulated_time_s(resolved)
    events = 0.0
    for i, job in enumerate(resolved.cluster_jobs):
        if job.checkpoint_every_s:
            events += job.work_s / job.checkpoint_every_s
            if events > MAX_EVENTS:
                path = (
                    f"workloads[{resolved.jobs[i].index}].checkpoint_every"
                    if i < len(resolved.jobs)
                    else "scheduling.jobs"
                )
                raise _refuse(path, "checkpoints", events, EVENTS_PER_S, MAX_EVENTS,
                              "checkpoint less often")  # fmt: skip
    if resolved.scenario.failures is not None:
        events += 2 * failure_rates_per_s(resolved) * sim_s  # a failure and a repair each
        if events > MAX_EVENTS:
            raise _refuse("failures", "failure and repair events", events, EVENTS_PER_S, MAX_EVENTS,
                          "raise the MTBFs, checkpoint more often, or set a horizon")  # fmt: skip
    interval = resolved.scenario.output.timeseries_interval
    if interval is not None and sim_s / interval > MAX_TIMESERIES_ROWS:
        raise ConfigError(
            "output.timeseries_interval",
            f"{interval:g} s over ~{sim_s:.3g} s of simulated time gives ~{short_number(sim_s / interval)} rows; "
            f"at most {short_number(MAX_TIMESERIES_ROWS)} (use a longer interval)",
        )
