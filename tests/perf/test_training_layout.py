"""The parallelism-aware training model: each cost term in closed form, and its monotonicity."""

import dataclasses
import itertools

import pytest

from simcompute.perf.collectives import Link, all_gather_s, all_reduce_s, p2p_s, reduce_scatter_s
from simcompute.perf.layout import Layout
from simcompute.perf.training import (
    ACTIVATION_BYTES,
    OPTIMIZER_BYTES_PER_PARAM,
    OVERLAP_COMPUTE_SLOWDOWN,
    estimate_layout,
    estimate_training,
)

SEQ = 256


def est(model, system, layout, sequences=64, **kw):
    return estimate_layout(model, system, layout, seq_len=SEQ, sequences=sequences, precision="bf16", **kw)


def microbatch_time(e):
    m = e.tokens_per_step // SEQ // (e.layout.dp * e.layout.microbatch_size)
    per_step = sum(
        e.phase_time_s(n)
        for n in ("compute", "elementwise", "tp_communication", "ep_all_to_all", "pp_communication")
    )
    return per_step / m, m


def test_phases_add_up_and_carry_bounds(tiny, a100_system):
    e = est(tiny, a100_system, Layout(tp=2, pp=2, dp=2, sequence_parallel=True))
    assert e.step_time_s == pytest.approx(sum(p.time_s for p in e.phases))
    bounds = {p.name: p.bound for p in e.phases}
    assert bounds["compute"] == "compute" and bounds["optimizer"] == "memory"
    assert bounds["pipeline_bubble"] == "idle" and bounds["tp_communication"] == "communication"
    assert 0 < e.mfu < a100_system.gemm_max_efficiency


def test_bubble_is_1f1b_fraction(tiny, a100_system):
    for pp, seqs in [(2, 16), (4, 32), (4, 8)]:
        e = est(tiny, a100_system, Layout(pp=pp, dp=1), sequences=seqs)
        mb, m = microbatch_time(e)
        bubble = e.phase_time_s("pipeline_bubble")
        assert bubble == pytest.approx((pp - 1) * mb)
        assert bubble / (bubble + m * mb) == pytest.approx((pp - 1) / (m + pp - 1))


def test_virtual_stages_shrink_the_bubble(tiny, a100_system):
    plain = est(tiny, a100_system, Layout(pp=4, dp=1), sequences=16)
    inter = est(tiny, a100_system, Layout(pp=4, dp=1, virtual_pp=2), sequences=16)
    mb, _ = microbatch_time(inter)
    assert inter.phase_time_s("pipeline_bubble") == pytest.approx(3 / 2 * mb)
    assert inter.phase_time_s("pipeline_bubble") < plain.phase_time_s("pipeline_bubble")


def test_tensor_parallel_all_reduces(tiny, a100_system):
    layout = Layout(tp=4, dp=2)
    e = est(tiny, a100_system, layout, sequences=16)
    m = 16 // 2
    one = all_reduce_s(SEQ * tiny.hidden * ACTIVATION_BYTES, 4, Link.nvlink(300))
    # 2 all-reduces forward, 2 backward, per layer, per microbatch
    assert e.phase_time_s("tp_communication") == pytest.approx(m * tiny.layers * 4 * one)
    full = est(tiny, a100_system, dataclasses.replace(layout, recompute="full"), sequences=16)
    assert full.phase_time_s("tp_communication") == pytest.approx(m * tiny.layers * 6 * one)


def test_pipeline_sends(tiny, a100_system):
    e = est(tiny, a100_system, Layout(pp=2, dp=1), sequences=4)
    send = p2p_s(SEQ * tiny.hidden * ACTIVATION_BYTES, Link.nvlink(300))
    assert e.phase_time_s("pp_communication") == pytest.approx(4 * 2 * send)


def test_data_parallel_across_nodes_and_overlap(tiny, a100_system):
    no_overlap = dataclasses.replace(a100_system, dp_overlap_fraction=0.0)
    e = est(tiny, no_overlap, Layout(dp=16), sequences=16)  # 16 GPUs: spans two nodes -> fabric
    from simcompute.perf.memory import stage_params

    dense, _ = stage_params(tiny, e.layout)
    # 8 members of the group in each node: the ring runs over 8 HDR rails at once
    expected = all_reduce_s(dense * 2, 16, Link.fabric(8 * 25.0, 0.8))
    assert e.phase_time_s("dp_communication") == pytest.approx(expected)
    hidden = est(tiny, a100_system, Layout(dp=16), sequences=16)
    assert hidden.phase_time_s("dp_communication") < e.phase_time_s("dp_communication")


def test_ring_collectives_use_one_rail_per_group_member_in_a_node(a100_system):
    # dp over 16 nodes with tp=8: one member per node -> one 25 GB/s rail
    one = a100_system.ring_link(16, 8)
    assert one == Link.fabric(25.0, 0.8)
    # tp=2: four members per node -> four rails
    assert a100_system.ring_link(16, 2) == Link.fabric(4 * 25.0, 0.8)
    # point-to-point sends and all-to-alls keep one rail per GPU
    assert a100_system.link(16, 1) == Link.fabric(25.0, 0.8)
    # never faster than NVLink, which carries the ring inside each node
    fast = dataclasses.replace(a100_system, fabric_bandwidth_gbps=100.0)
    assert fast.ring_link(16, 1).bandwidth_bytes_per_s == Link.nvlink(300).bandwidth_bytes_per_s
    # inside one node: NVLink
    assert a100_system.ring_link(8, 1) == Link.nvlink(300)


def test_hidden_communication_slows_compute_by_the_measured_contention(tiny, a100_system):
    from simcompute.perf.memory import stage_params

    full_overlap = dataclasses.replace(a100_system, dp_overlap_fraction=1.0)
    layout = Layout(dp=16, zero=3, microbatch_size=16)
    e = est(tiny, full_overlap, layout, sequences=256)
    dense, _ = stage_params(tiny, e.layout)
    link = a100_system.ring_link(16, 1)
    per_layer = dense * 2 / tiny.layers
    comm = tiny.layers * (2 * all_gather_s(per_layer, 16, link) + reduce_scatter_s(per_layer, 16, link))
    assert comm < e.phase_time_s("compute")  # all of it fits under the compute
    assert e.phase_time_s("dp_communication") == pytest.approx(OVERLAP_COMPUTE_SLOWDOWN * comm)


def test_zero3_pays_collective_latency_per_layer(tiny, a100_system):
    slow = dataclasses.replace(a100_system, dp_overlap_fraction=0.0, fabric_latency_us=1000.0)
    fast = dataclasses.replace(slow, fabric_latency_us=0.0)
    layout = Layout(dp=16, zero=3)
    extra = est(tiny, slow, layout, sequences=16).phase_time_s("dp_communication") - est(
        tiny, fast, layout, sequences=16
    ).phase_time_s("dp_communication")
    # 2 all-gathers + 1 reduce-scatter of 15 ring steps each, per layer, 1 ms per step
    assert extra == pytest.approx(tiny.layers * 3 * 15 * 1e-3)


def test_optimizer_step_is_memory_traffic(tiny, a100_system):
    from simcompute.perf.memory import stage_params

    e = est(tiny, a100_system, Layout(dp=4, zero=1), sequences=16)
    dense, _ = stage_params(tiny, e.layout)
    hbm = a100_system.accelerator.hbm_bandwidth_bytes_per_s * a100_system.memory_efficiency
    assert e.phase_time_s("optimizer") == pytest.approx(OPTIMIZER_BYTES_PER_PARAM * dense / 4 / hbm)


def test_recompute_costs_time_and_counts_hardware_flops(tiny, a100_system):
    base = Layout(dp=2, recompute="none")
    none = est(tiny, a100_system, base)
    sel = est(tiny, a100_system, dataclasses.replace(base, recompute="selective"))
    full = est(tiny, a100_system, dataclasses.replace(base, recompute="full"))
    assert none.step_time_s < sel.step_time_s < full.step_time_s
    assert none.hfu == pytest.approx(none.mfu)
    assert full.recompute_flops_per_step == pytest.approx(full.model_flops_per_step / 3)


def test_smaller_gemms_after_tp_run_less_efficiently(cat, a100_system):
    model = cat.model("llama-7b")
    one = est(model, a100_system, Layout(tp=1, dp=8), sequences=64)
    eight = est(model, a100_system, Layout(tp=8, dp=1, sequence_parallel=True), sequences=64)
    # same GPUs, same work: tp=8 splits every GEMM 8 ways -> more compute seconds in total
    assert eight.phase_time_s("compute") > one.phase_time_s("compute")


def test_more_gpus_never_fewer_gpu_hours(cat, a100_system):
    model = cat.model("llama-7b")
    hours = []
    for dp in (8, 16, 32, 64, 128):
        e = est(model, a100_system, Layout(tp=2, pp=2, dp=dp, sequence_parallel=True), sequences=512)
        hours.append(e.step_time_s * e.gpus)
    assert all(b >= a * (1 - 1e-12) for a, b in itertools.pairwise(hours))


def test_more_microbatches_never_a_larger_bubble_fraction(tiny, a100_system):
    fractions = []
    for seqs in (4, 8, 16, 32, 64, 128):
        e = est(tiny, a100_system, Layout(pp=4, dp=1), sequences=seqs)
        fractions.append(e.phase_time_s("pipeline_bubble") / e.step_time_s)
    assert all(b <= a for a, b in itertools.pairwise(fractions))


def test_measured_mfu_override_rescales_phases(tiny, a100_system, cat):
    e = estimate_training(
        tiny, a100_system.accelerator, gpus=4, seq_len=SEQ, global_batch_tokens=16 * SEQ, precision="bf16",
        efficiency=0.3, system=a100_system, layout=Layout(dp=4),
    )  # fmt: skip
    assert e.mfu == pytest.approx(0.3)
    assert e.step_time_s == pytest.approx(sum(p.time_s for p in e.phases))


def test_moe_all_to_all_and_expert_sharding(cat, a100_system):
    model = cat.model("mixtral-8x7b")
    no_ep = est(model, a100_system, Layout(tp=2, dp=8, sequence_parallel=True), sequences=64)
    ep = est(model, a100_system, Layout(tp=2, dp=8, ep=4, sequence_parallel=True), sequences=64)
    assert no_ep.phase_time_s("ep_all_to_all") == 0.0
    assert ep.phase_time_s("ep_all_to_all") > 0.0
    assert ep.memory.weights_bytes < no_ep.memory.weights_bytes
    # model FLOPs count only the active experts
    assert ep.flops_per_token < 6 * model.total_params
