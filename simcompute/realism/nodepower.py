"""Node power from measured node-level data, not from the gap between rating and GPU TDP.

A node whose GPUs run compute-bound training draws `compute_share_of_rating` of its rated
power at the wall (GPUs, CPUs, memory, NICs, NVSwitches, fans and PSU losses together; the
maximum Latif et al. 2024 measured). The host's part is what is left after the GPUs at the
generation's training activity; between idle and that point the host follows the GPUs'
activity linearly, as in `power/it.py`. `simcompute validate` compares the mean over modelled
steps with measured means (Newkirk et al. 2025; Patterson et al. 2021).
"""

from __future__ import annotations

from simcompute.catalog.hardware import Accelerator, Generation, Node
from simcompute.realism.params import load_operations


def gpu_power_w(acc: Accelerator, activity: float) -> float:
    """A GPU at `activity` (0 idle .. 1 its TDP), uncapped."""
    return acc.idle_power_w + (acc.tdp_w - acc.idle_power_w) * activity


def host_training_w(node: Node, acc: Accelerator, gen: Generation, share: float | None = None) -> float:
    """Host power of the whole node (W) in compute-bound training: measured node power less GPUs."""
    share = load_operations().node_compute_share_of_rating.median if share is None else share
    gpus_w = node.gpus_per_node * gpu_power_w(acc, gen.training_activity)
    return max(share * node.rated_power_w - gpus_w, node.host_power_idle_w)


def host_max_w(node: Node, acc: Accelerator, gen: Generation, share: float | None = None) -> float:
    """The host maximum (W, whole node) of the linear host model `idle + (max - idle) x activity`
    that draws `host_training_w` at the generation's training activity."""
    idle = node.host_power_idle_w
    return idle + (host_training_w(node, acc, gen, share) - idle) / gen.training_activity


def node_power_w(
    node: Node, acc: Accelerator, gen: Generation, activity: float, share: float | None = None
) -> float:
    """Wall power of one node whose GPUs run at mean `activity` (network switches not included)."""
    host = node.host_power_idle_w + (host_max_w(node, acc, gen, share) - node.host_power_idle_w) * activity
    return node.gpus_per_node * gpu_power_w(acc, activity) + host
