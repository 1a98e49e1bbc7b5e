"""Node power from measured node-level data, not from the gap between rating and GPU TDP.

A node whose GPUs run compute-bound training draws `compute_share_of_rating` of its rated
power at the wall (GPUs, CPUs, memory, NICs, NVSwitches, fans and PSU losses together; the
maximum Latif et al. 2024 measured). The host's part is what is left after the GPUs at that
activity; between idle and that point the host follows the GPUs' activity linearly, as in
`power/it.py`. `simcompute validate` compares the mean over modelled steps with measured means
(Newkirk et al. 2025; Patterson et al. 2021).
"""

from __future__ import annotations

from simcompute.catalog.hardware import Accelerator, Node
from simcompute.realism.params import load_operations


def gpu_power_w(acc: Accelerator, activity: float) -> float:
    """A catalog GPU at `activity` (0 idle .. 1 its TDP), uncapped."""
    return acc.idle_power_w + (acc.tdp_w - acc.idle_power_w) * activity


def host_training_w(node: Node, gpu_training_w: float, share: float | None = None) -> float:
    """Host power of the whole node (W) in compute-bound training: the measured node power less
    its GPUs (`gpu_training_w` each), at least the host's idle power."""
    share = load_operations().node_compute_share_of_rating.median if share is None else share
    return max(share * node.rated_power_w - node.gpus_per_node * gpu_training_w, node.host_power_idle_w)


def host_max_w(
    node: Node, gpu_training_w: float, training_activity: float, share: float | None = None
) -> float:
    """The host maximum (W, whole node) of the linear host model `idle + (max - idle) x activity`
    that draws `host_training_w` when the GPUs run at `training_activity`."""
    idle = node.host_power_idle_w
    return idle + (host_training_w(node, gpu_training_w, share) - idle) / training_activity


def node_power_w(
    node: Node, acc: Accelerator, training_activity: float, activity: float, share: float | None = None
) -> float:
    """Wall power of one node of catalog GPUs at mean `activity` (network switches not included)."""
    top = host_max_w(node, gpu_power_w(acc, training_activity), training_activity, share)
    host = node.host_power_idle_w + (top - node.host_power_idle_w) * activity
    return node.gpus_per_node * gpu_power_w(acc, activity) + host
