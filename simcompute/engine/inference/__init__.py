"""Inference serving: replicas with continuous (or static) batching, routers, service processes."""

from simcompute.engine.inference.replica import Replica
from simcompute.engine.inference.service import InferenceService, ServiceRun, ServingClock

__all__ = ["InferenceService", "Replica", "ServiceRun", "ServingClock"]
