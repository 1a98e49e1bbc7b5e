"""Readers of external trace files (job traces for the cluster scheduler)."""

from simcompute.traces.jobs import TraceJob, read_job_trace

__all__ = ["TraceJob", "read_job_trace"]
