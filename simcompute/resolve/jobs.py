"""Resolve the jobs the cluster scheduler runs: scenario training workloads and job-trace rows.

Every job becomes a `ClusterJobSpec`: GPUs, submit time, priority, the compute time it needs
when nothing interrupts it, its busy GPU activity, and what it checkpoints. Trace rows given
as `duration_s` or `flops` are one compute-bound phase on the cluster's simulated GPU (so a
power cap stretches and caps them like any other work); rows with `model` and `tokens` go
through the same `resolve_training` as scenario workloads.
"""

from __future__ import annotations

from dataclasses import dataclass

from simcompute.catalog import Catalog, ModelSpec
from simcompute.config import Scenario, TrainingWorkload
from simcompute.errors import ConfigError
from simcompute.perf import TrainingEstimate
from simcompute.power.gpu import Phase
from simcompute.resolve.cluster import ClusterSpec
from simcompute.resolve.common import lookup
from simcompute.resolve.training import TrainingJobSpec, resolve_training
from simcompute.traces import TraceJob, read_job_trace


@dataclass(frozen=True)
class ClusterJobSpec:
    """A training job as the scheduler sees it."""

    name: str
    gpus: int
    submit_s: float
    priority: int
    work_s: float
    """Compute seconds to finish when nothing interrupts it (no checkpoint or restart time)."""
    activity: float
    """GPU activity while computing (drives its busy power)."""
    checkpoint_every_s: float | None
    """Compute seconds between checkpoints; None: never checkpoints."""
    model: ModelSpec | None = None
    estimate: TrainingEstimate | None = None
    n_steps: int | None = None
    tokens: float | None = None


def from_training(spec: TrainingJobSpec) -> ClusterJobSpec:
    """A scenario training workload: whole steps of its estimate."""
    est, cfg = spec.estimate, spec.config
    return ClusterJobSpec(
        name=spec.name,
        gpus=cfg.gpus,
        submit_s=cfg.submit_at,
        priority=cfg.priority,
        work_s=spec.n_steps * est.step_time_s,
        activity=est.mean_activity,
        checkpoint_every_s=cfg.checkpoint_every,
        model=spec.model,
        estimate=est,
        n_steps=spec.n_steps,
        tokens=float(cfg.tokens),
    )


def _trace_job(
    job: TraceJob,
    scenario: Scenario,
    cluster: ClusterSpec,
    catalog: Catalog,
    cache: dict[tuple, TrainingJobSpec],
) -> ClusterJobSpec:
    """duration_s given: that long uncapped at the GPU's compute activity. flops given:
    flops / (GPUs x dense bf16 peak x the GPU's typical MFU). Both as one compute-bound phase
    under the cluster's power cap. model and tokens: the full training estimate."""
    trace = scenario.scheduling.jobs
    assert trace is not None
    where = f"row {job.row}"
    if job.gpus > cluster.total_gpus:
        raise ConfigError(
            f"{where}, column 'gpus'", f"{job.gpus} GPUs but the cluster has {cluster.total_gpus}", trace.path
        )
    model = None
    if job.model is not None:
        try:
            model = lookup(f"{where}, column 'model'", catalog.model, job.model)
        except ConfigError as exc:
            raise ConfigError(exc.path, exc.message, trace.path) from None
    checkpoint_s = job.checkpoint_every_s or trace.checkpoint_every
    common = dict(name=job.name, gpus=job.gpus, submit_s=job.submit_s, priority=job.priority,
                  checkpoint_every_s=checkpoint_s, model=model)  # fmt: skip
    if job.duration_s is not None or job.flops is not None:
        gpu = cluster.gpu
        if job.duration_s is not None:
            uncapped_s = job.duration_s
        else:
            uncapped_s = job.flops / (job.gpus * gpu.accelerator.peak_flops("bf16") * gpu.typical_mfu)
        work = gpu.power.cap_phase(Phase("compute", uncapped_s, gpu.power.compute_activity, "compute"))
        return ClusterJobSpec(work_s=work.time_s, activity=work.activity, **common)
    key = (job.model, job.gpus, job.tokens)
    spec = cache.get(key)
    if spec is None:
        cfg = TrainingWorkload(
            kind="training", name=job.name, model=job.model, tokens=job.tokens, gpus=job.gpus,
            global_batch_tokens=trace.global_batch_tokens, seq_len=trace.seq_len,
        )  # fmt: skip
        try:
            spec = resolve_training(0, cfg, cluster, catalog)
        except ConfigError as exc:
            raise ConfigError(where, exc.message, trace.path) from None
        cache[key] = spec
    planned = from_training(spec)
    return ClusterJobSpec(
        work_s=planned.work_s, activity=planned.activity, estimate=planned.estimate,
        n_steps=planned.n_steps, tokens=planned.tokens, **common,
    )  # fmt: skip


def resolve_trace_jobs(
    scenario: Scenario, cluster: ClusterSpec, catalog: Catalog
) -> tuple[ClusterJobSpec, ...]:
    """The jobs of `scheduling.jobs`, if any; names must not clash with workloads."""
    trace = scenario.scheduling.jobs
    if trace is None:
        return ()
    taken = {w.name for w in scenario.workloads}
    cache: dict[tuple, TrainingJobSpec] = {}
    jobs = []
    for row in read_job_trace(trace.path):
        if row.name in taken:
            raise ConfigError(
                f"row {row.row}, column 'name'", f"'{row.name}' is also a workload name", trace.path
            )
        jobs.append(_trace_job(row, scenario, cluster, catalog, cache))
    return tuple(jobs)
