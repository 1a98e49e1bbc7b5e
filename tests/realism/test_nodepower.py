"""Node power under training: waits draw less than compute, and the node follows its GPUs.

Measured at scale, GPUs waiting in collectives or checkpoints draw far less than in the compute
phase (Choukse et al. 2025, arXiv:2508.14318; Llama 3 paper Sec. 3.3.4, arXiv:2407.21783; Patel
et al. ASPLOS'24). These tests keep the node model on that side: a step that spends more of its
time waiting draws less, never more.
"""

import pytest

from simcompute.catalog import load_catalog
from simcompute.realism.nodepower import gpu_power_w, node_power_w


@pytest.fixture(scope="module")
def catalog():
    return load_catalog()


def test_every_generation_waits_below_its_compute_activity(catalog):
    for gen_id in ("volta", "ampere", "hopper", "blackwell"):
        gen = catalog.generation(gen_id)
        assert 0.0 < gen.communication_activity < gen.training_activity, gen_id


@pytest.mark.parametrize("node_id", ["dgx-v100", "dgx-a100-80gb", "dgx-h100"])
def test_node_power_during_waits_lies_between_idle_and_the_compute_bound_step(catalog, node_id):
    node = catalog.node(node_id)
    acc = catalog.accelerator(node.gpu)
    gen = catalog.generation(acc.generation)
    idle = node_power_w(node, acc, gen.training_activity, 0.0)
    wait = node_power_w(node, acc, gen.training_activity, gen.communication_activity)
    step = node_power_w(node, acc, gen.training_activity, gen.training_activity)
    assert idle == pytest.approx(node.gpus_per_node * acc.idle_power_w + node.host_power_idle_w)
    assert idle < wait < step
    assert gpu_power_w(acc, 0.0) < gpu_power_w(acc, gen.communication_activity) < acc.tdp_w


def test_a_step_with_more_time_waiting_draws_less(catalog):
    """The step's mean power is its time-weighted phase power: moving time from compute to a
    wait (a deeper pipeline bubble) lowers it, and its energy is power x time phase by phase."""
    node = catalog.node("dgx-v100")
    acc = catalog.accelerator(node.gpu)
    gen = catalog.generation(acc.generation)
    ta, wa = gen.training_activity, gen.communication_activity
    previous = None
    for bubble in (0.0, 0.2, 0.4):
        mean_activity = (1 - bubble) * ta + bubble * wa
        mean_w = node_power_w(node, acc, ta, mean_activity)
        energy = (1 - bubble) * node_power_w(node, acc, ta, ta) + bubble * node_power_w(node, acc, ta, wa)
        assert mean_w == pytest.approx(energy)  # linear in activity: mean power = energy / time
        assert previous is None or mean_w < previous
        previous = mean_w
