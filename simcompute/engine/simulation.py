"""Run a resolved scenario in a SimPy environment and collect its records."""

from __future__ import annotations

import functools
import gc
from collections.abc import Callable

import numpy as np
import simpy

from simcompute.engine.checkpoint import CheckpointPlan, checkpoint_bytes, write_time_s, young_daly_interval_s
from simcompute.engine.cluster import NO_POWER, Cluster
from simcompute.engine.failures import FailureModel, FailureProcess
from simcompute.engine.inference import InferenceService, ServingClock
from simcompute.engine.ledger import PowerLedger
from simcompute.engine.scheduler import Scheduler
from simcompute.engine.training import TrainingJob
from simcompute.records import Records
from simcompute.resolve import ResolvedScenario

FAILURES_SPAWN_KEY = 0xFA11
"""Spawn key of the failure processes' seed (`SeedSequence(seed, spawn_key=(key,))`), apart
from the per-workload children `SeedSequence(seed).spawn(n)` (keys 0 .. n-1)."""


def _gc_paused(func: Callable[..., Records]) -> Callable[..., Records]:
    """Run `func` with the cycle collector paused (restored after, also on errors).

    A run's objects (jobs, events, the environment) live until it ends, so the collector
    finds no garbage while it runs (measured: 0 objects in every bundled scenario), yet its
    passes over the growing heap cost ~0.8 s of ~6 s in bench/bench_cluster.py.
    """

    @functools.wraps(func)
    def wrapper(*args, **kwargs):
        was_enabled = gc.isenabled()
        gc.disable()
        try:
            return func(*args, **kwargs)
        finally:
            if was_enabled:
                gc.enable()

    return wrapper


@_gc_paused
def simulate(resolved: ResolvedScenario) -> Records:
    """Simulate until every training job and service is done, at the latest until the horizon
    (a cap); with a `window`, for exactly that period (work cut at its end, idle GPUs after the
    work is done counted until then).

    Training jobs and services are processes on one SimPy clock: both wait for GPUs in the
    scheduler (services' claims first), both are interrupted by failures of their nodes.

    Randomness comes from `SeedSequence(seed)`: children `spawn(n)` are the workloads' streams;
    hardware failures draw from their own child (`FAILURES_SPAWN_KEY`), so the failure history
    does not depend on the jobs, and two policies see the same failures.
    """
    scenario = resolved.scenario
    stop_s = scenario.window if scenario.window is not None else scenario.horizon
    env = simpy.Environment()
    records = Records()
    ledger = PowerLedger(records)
    failures_cfg, sched_cfg = scenario.failures, scenario.scheduling
    spec = resolved.cluster
    failed_power = None
    if failures_cfg is not None:
        failed_power = spec.slot_power.idle if failures_cfg.failed_power == "idle" else NO_POWER
    cluster = Cluster(env, spec, ledger, placement=sched_cfg.placement, failed_power=failed_power)
    scheduler = Scheduler(env, cluster, records, sched_cfg.policy, sched_cfg.backfill_depth)
    streams = np.random.SeedSequence(scenario.seed).spawn(len(scenario.workloads))
    restart_s = failures_cfg.restart_overhead if failures_cfg else 0.0
    clock = ServingClock(env)
    services = [
        InferenceService(
            env, service, cluster, scheduler, clock, ledger, records,
            np.random.default_rng(streams[service.index]), stop_s, restart_s,
        )
        for service in resolved.services
    ]  # fmt: skip
    model = FailureModel(failures_cfg, spec.nodes, spec.node.gpus_per_node) if failures_cfg else None
    jobs = []
    for seq, job_spec in enumerate(resolved.cluster_jobs):
        size = checkpoint_bytes(job_spec.model, sched_cfg.checkpoint_bytes_per_param)
        write_s = write_time_s(size, sched_cfg.storage_bandwidth_gbps) if job_spec.checkpoint_every_s else 0.0
        plan = CheckpointPlan(job_spec.checkpoint_every_s, size, write_s, sched_cfg.checkpoint_async)
        mtbf_s = model.job_mtbf_s(cluster.nodes_for(job_spec.gpus)) if model else float("inf")
        job = TrainingJob(
            env,
            job_spec,
            seq,
            cluster,
            ledger,
            records,
            plan,
            restart_s,
            young_daly_interval_s(write_s, mtbf_s),
        )
        scheduler.add(job)
        jobs.append(job)
    if model is not None and (jobs or services):
        seed = np.random.SeedSequence(scenario.seed, spawn_key=(FAILURES_SPAWN_KEY,))
        scheduler.failures = FailureProcess(env, model, seed, scheduler.node_failed)
    work = [scheduler.done] if jobs else []
    done = simpy.AllOf(env, work + [service.process for service in services])
    if scenario.window is not None:
        env.run(until=scenario.window)
    elif scenario.horizon is not None:
        env.run(until=simpy.AnyOf(env, [env.timeout(scenario.horizon), done]))
    elif jobs or services:
        env.run(until=done)
    else:
        env.run()
    end_s = float(env.now)
    for job in jobs:
        job.close(end_s)
    for service in services:
        service.close(end_s)
    ledger.close_all(end_s)
    records.end_s = end_s
    records.jobs = [job.row(end_s) for job in jobs] + [service.row() for service in services]
    records.cluster = cluster.summary(end_s)
    return records
