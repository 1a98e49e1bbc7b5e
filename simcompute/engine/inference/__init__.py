"""Inference serving: replicas with continuous (or static) batching, routers, service process."""

from simcompute.engine.inference.replica import Replica
from simcompute.engine.inference.service import InferenceService, ServiceRun

__all__ = ["InferenceService", "Replica", "ServiceRun"]
