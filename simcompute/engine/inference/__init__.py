"""Inference serving: replicas under a batching policy, routers, service processes."""

from simcompute.engine.inference.batching import BATCHING
from simcompute.engine.inference.replica import Replica
from simcompute.engine.inference.service import InferenceService, ServiceRun, ServingClock

__all__ = ["BATCHING", "InferenceService", "Replica", "ServiceRun", "ServingClock"]
