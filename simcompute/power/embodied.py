"""Embodied carbon: manufacturing emissions of GPUs and servers, amortised over their life.

A workload that holds a GPU slot for `gpu_hours` is charged `gpu_hours / lifetime_hours` of
one GPU and of 1/gpus_per_node of its server. Reported apart from operational CO2.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

import yaml

from simcompute.catalog.loader import SAFE_LOADER, is_sourced

HOURS_PER_YEAR = 8760.0


@dataclass(frozen=True)
class Embodied:
    """Embodied carbon of one GPU slot and the life it is spread over."""

    gpu_kgco2e: float
    server_kgco2e: float
    gpus_per_node: int
    lifetime_years: float

    @property
    def slot_kgco2e(self) -> float:
        return self.gpu_kgco2e + self.server_kgco2e / self.gpus_per_node

    @property
    def kg_per_gpu_hour(self) -> float:
        return self.slot_kgco2e / (self.lifetime_years * HOURS_PER_YEAR)

    def co2_kg(self, gpu_hours: float) -> float:
        """Embodied CO2 charged to `gpu_hours` of slot time."""
        return gpu_hours * self.kg_per_gpu_hour


def load_embodied_table() -> dict:
    """The bundled table: {'lifetime_years', 'accelerators': {id: kg}, 'nodes': {id: kg}}."""
    text = resources.files("simcompute.catalog.data").joinpath("embodied.yaml").read_text(encoding="utf-8")
    raw = yaml.load(text, Loader=SAFE_LOADER)["embodied"]

    def value(node: dict, where: str) -> float:
        if not is_sourced(node):
            raise ValueError(f"embodied.yaml: {where} must be {{value, source}}")
        return float(node["value"])

    return {
        "lifetime_years": value(raw["lifetime_years"], "lifetime_years"),
        "accelerators": {k: value(v, f"accelerators.{k}") for k, v in raw["accelerators"].items()},
        "nodes": {k: value(v, f"nodes.{k}") for k, v in raw["nodes"].items()},
    }
