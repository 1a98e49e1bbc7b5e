"""Discrete-event engine: SimPy processes for the cluster and its workloads."""

from simcompute.engine.simulation import simulate

__all__ = ["simulate"]
