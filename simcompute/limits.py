"""Work too large to simulate is refused before the simulation starts, with the estimate.

Every number a scenario gives is inside its physical range (the schema checks that), but
products of them can still ask for years of computing: 1e6 requests/s for a month, a
checkpoint every second of a year-long job, a failure process on ten million GPUs, a
timeseries row per millisecond. `check_work` estimates the simulation's size from the
resolved scenario and refuses it with the reason, the estimate and the limit.

The limits are the scenario's `limits:` section (defaults: about 10 s of one core); the rates
behind the time estimates are measured (`bench/RESULTS.md`: about 40,000 requests and
40,000 cluster events per second, end to end).
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from simcompute.config.base import MAX_DURATION_S
from simcompute.config.inference import DEFAULT_OUTPUT_TOKENS
from simcompute.errors import ConfigError

if TYPE_CHECKING:
    from simcompute.resolve import ResolvedScenario

REQUESTS_PER_S = 40_000.0
EVENTS_PER_S = 40_000.0
"""End to end, with the tables written (bench_cluster: ~75,000/s for the simulation alone)."""
DECODE_ITERATIONS_PER_S = 200_000.0
"""Estimate for `mode: reference` (every decode iteration an event)."""


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


def mean_rate_per_s(arrivals) -> float:
    """Mean arrival rate of a generated arrival process (0 for a trace, infinite when every
    request arrives at once)."""
    if arrivals.kind == "trace":
        return 0.0
    if arrivals.kind == "max_throughput":
        return float("inf")
    if arrivals.kind == "diurnal":
        table = arrivals.hourly_rate_per_s
        return sum(table) / len(table) if table is not None else arrivals.mean_rate_per_s
    return arrivals.rate_per_s


def trace_rows(path: str) -> int:
    """Data rows of a request trace, counted without parsing it (0 if it cannot be read: the
    reader then says why)."""
    try:
        if path.lower().endswith((".parquet", ".pq")):
            import pyarrow.parquet as pq

            return int(pq.ParquetFile(path).metadata.num_rows)
        lines = 0
        with open(path, "rb") as fh:
            while chunk := fh.read(1 << 20):
                lines += chunk.count(b"\n")
        return max(lines - 1, 0)
    except Exception:
        return 0


def expected_requests(cfg) -> float:
    """Requests a service makes: rate x duration, or the trace's rows, capped by `requests`."""
    if cfg.arrivals.kind == "trace":
        rows = float(trace_rows(cfg.arrivals.path))
        return min(rows, cfg.requests) if cfg.requests is not None else rows
    rate = mean_rate_per_s(cfg.arrivals)
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
    scenario = resolved.scenario
    if scenario.window is not None:  # a fixed accounting period: the run lasts exactly this long
        return scenario.window
    return min(end, scenario.horizon) if scenario.horizon is not None else end


def check_work(resolved: ResolvedScenario) -> None:
    """Refuse a scenario whose simulation would be too large for its `limits:`."""
    limits = resolved.scenario.limits
    requests = 0.0
    for service in resolved.services:
        cfg, path = service.config, service.path
        n = expected_requests(cfg)
        requests += n
        rate = mean_rate_per_s(cfg.arrivals)
        if cfg.duration is None and n and rate > 0 and n / rate > MAX_DURATION_S:
            raise ConfigError(
                f"{path}.arrivals",
                f"{short_number(n)} requests at {rate:.3g}/s arrive over "
                f"{human_time(n / rate).lstrip('~')}; at most 100 years (set duration)",
            )
        if requests > limits.max_requests:
            raise _refuse(f"{path}.arrivals", "requests", requests, REQUESTS_PER_S, limits.max_requests,
                          "lower rate x duration, or raise limits.max_requests")  # fmt: skip
        if cfg.mode == "reference":
            iterations = n * _mean_output_tokens(cfg.output_tokens)
            if iterations > limits.max_decode_iterations:
                raise _refuse(f"{path}.mode", "decode iterations (mode: reference)", iterations,
                              DECODE_ITERATIONS_PER_S, limits.max_decode_iterations,
                              "use mode: closed_form")  # fmt: skip
    sim_s = simulated_time_s(resolved)
    jobs = resolved.cluster_jobs
    events = 3.0 * len(jobs)  # submit, start, finish
    if events > limits.max_events:
        raise _refuse("scheduling.jobs", "job events", events, EVENTS_PER_S, limits.max_events,
                      "or raise limits.max_events")  # fmt: skip
    for i, job in enumerate(jobs):
        if job.checkpoint_every_s:
            events += job.work_s / job.checkpoint_every_s
            if events > limits.max_events:
                path = (
                    f"workloads[{resolved.jobs[i].index}].checkpoint_every"
                    if i < len(resolved.jobs)
                    else "scheduling.jobs"
                )
                raise _refuse(path, "checkpoints and job events", events, EVENTS_PER_S, limits.max_events,
                              "checkpoint less often, or raise limits.max_events")  # fmt: skip
    failures = resolved.scenario.failures
    if failures is not None:
        events += 2 * failure_rates_per_s(resolved) * sim_s  # a failure and a repair each
        # every failure process draws its first failure at the start, one per node and per
        # GPU: about a tenth of an event's cost each (measured: 2.4M GPUs take 4.5 s)
        events += (resolved.cluster.nodes + (resolved.cluster.total_gpus if failures.gpu_mtbf_h else 0)) / 10
        if events > limits.max_events:
            raise _refuse("failures", "failure and repair events", events, EVENTS_PER_S, limits.max_events,
                          "raise the MTBFs, checkpoint more often, or set a horizon")  # fmt: skip
    interval = resolved.scenario.output.timeseries_interval
    if interval is not None and sim_s / interval > limits.max_timeseries_rows:
        raise ConfigError(
            "output.timeseries_interval",
            f"{interval:g} s over {human_time(sim_s)} of simulated time gives ~{short_number(sim_s / interval)} rows; "
            f"at most {short_number(limits.max_timeseries_rows)} (use a longer interval)",
        )
