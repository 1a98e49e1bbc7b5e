"""MoE with shared experts and first dense layers, and multi-head latent attention (DeepSeek-V3)."""

import dataclasses

import pytest

from simcompute.catalog import ModelSpec, load_catalog
from simcompute.catalog.precision import KV_BYTES
from simcompute.perf.collectives import Link, all_to_all_s
from simcompute.perf.flops import (
    attention_flops_per_token,
    inference_flops_per_token,
    training_flops_per_token,
)
from simcompute.perf.gemms import Gemm, layer_gemms
from simcompute.perf.inference import estimate_replica
from simcompute.perf.layout import Layout, layout_problems
from simcompute.perf.memory import stage_params
from simcompute.perf.search import best_layout, search_layouts
from simcompute.perf.training import ACTIVATION_BYTES, OVERLAP_COMPUTE_SLOWDOWN, estimate_layout
from simcompute.resolve.cluster import simulated_gpu
from simcompute.resolve.training import hardware_system

SEQ = 256
DS = dict(layers=8, hidden=512, heads=8, vocab=1000, ffn_hidden=1024, gated_ffn=True, experts=16,
          experts_per_token=4, shared_experts=1, expert_ffn_hidden=128, dense_layers=2, q_lora_rank=128,
          kv_lora_rank=64, qk_rope_head_dim=16, qk_nope_head_dim=32, v_head_dim=32)  # fmt: skip


def small(**changes) -> ModelSpec:
    """A DeepSeek-V3-shaped model small enough for closed-form checks."""
    return ModelSpec(**{**DS, **changes})


def est(model, system, layout, sequences=64):
    return estimate_layout(model, system, layout, seq_len=SEQ, sequences=sequences, precision="bf16")


@pytest.fixture(scope="module")
def h100_system():
    cat = load_catalog()
    node = cat.node("dgx-h100")
    acc = cat.accelerator(node.gpu)
    return hardware_system(node, acc, cat.generation(acc.generation), cat.fabric("ib-ndr-400"))


# ---- GEMMs and FLOPs ------------------------------------------------------------------------
def test_dense_and_moe_layer_gemms_in_closed_form():
    m, t = small(), 100
    attention = [
        Gemm("q_down", t, 128, 512),  # latents: whole on every tp rank
        Gemm("q_up", t, 8 * 48 // 2, 128),
        Gemm("kv_down", t, 64 + 16, 512),
        Gemm("kv_up", t, 8 * (32 + 32) // 2, 64),
        Gemm("attn_out", t, 512, 8 * 32 // 2),
    ]
    assert list(layer_gemms(m, t, tp=2, kind="dense")) == [
        *attention, Gemm("mlp_up", t, 2 * 1024 // 2, 512), Gemm("mlp_down", t, 512, 1024 // 2),
    ]  # fmt: skip
    assert list(layer_gemms(m, t, tp=2, kind="moe")) == [
        *attention,
        Gemm("mlp_up", t, 2 * 128 // 2, 512, 4),
        Gemm("mlp_down", t, 512, 128 // 2, 4),
        Gemm("shared_up", t, 2 * 128 // 2, 512),
        Gemm("shared_down", t, 512, 128 // 2),
    ]
    assert layer_gemms(m, t, tp=2) == layer_gemms(m, t, tp=2, kind="moe")  # the main layers
    with pytest.raises(ValueError, match="dense"):
        layer_gemms(ModelSpec(layers=2, hidden=64, heads=4, vocab=10), 1, kind="moe")


@pytest.mark.parametrize("kind", ["dense", "moe"])
def test_layer_gemms_count_the_active_weights(kind):
    """Forward GEMM FLOPs per token = 2 x the layer weights a token uses, norm vectors aside."""
    for m in (small(), load_catalog().model("deepseek-v3")):
        flops = sum(g.total_flops for g in layer_gemms(m, 1, kind=kind))
        norms = m.norm_params_per_layer + m.q_lora_rank + m.kv_lora_rank  # layer + latent norms
        assert flops == 2 * (m.active_layer_params(kind) - norms)


def test_shared_experts_count_once_per_token():
    """A shared expert adds 6 x its weights per token in each MoE layer; more routed experts
    at the same top-k add nothing."""
    with_shared, without = small(), small(shared_experts=0)
    expert = with_shared.mlp_params_per_expert
    diff = training_flops_per_token(with_shared, SEQ) - training_flops_per_token(without, SEQ)
    assert diff == 6 * with_shared.moe_layers * expert
    assert training_flops_per_token(small(experts=64), SEQ) == training_flops_per_token(with_shared, SEQ)


def test_mla_attention_flops_use_its_head_dims():
    m = small()
    assert attention_flops_per_token(m, SEQ) == 6 * 8 * 8 * (48 + 32) * SEQ
    assert inference_flops_per_token(m, 10) - inference_flops_per_token(m, 0) == 2 * 8 * 8 * (48 + 32) * 10
    ds = load_catalog().model("deepseek-v3")
    assert attention_flops_per_token(ds, 4096) == 6 * 61 * 128 * (192 + 128) * 4096


# ---- training -------------------------------------------------------------------------------
def test_all_to_all_in_moe_layers_only(a100_system):
    """Dispatch + combine, forward and backward (4 all-to-alls) in each of the 6 MoE layers."""
    m, layout = small(), Layout(dp=8, ep=4)
    e = est(m, a100_system, layout)
    micro = 64 // 8
    one = all_to_all_s(SEQ * 512 * ACTIVATION_BYTES * 4, 4, Link.nvlink(300))
    assert e.phase_time_s("ep_all_to_all") == pytest.approx(micro * 6 * 4 * one, rel=1e-12)
    all_moe = est(small(dense_layers=0), a100_system, layout)
    assert all_moe.phase_time_s("ep_all_to_all") == pytest.approx(micro * 8 * 4 * one, rel=1e-12)


def test_overlapped_all_to_alls_cost_only_the_contention(a100_system):
    """A DualPipe-style schedule hides the all-to-alls behind compute, which they slow by 18.9%."""
    m, layout = small(), Layout(dp=8, ep=4)
    exposed = est(m, a100_system, layout)
    hidden = est(m, dataclasses.replace(a100_system, ep_overlap_fraction=1.0), layout)
    a2a = exposed.phase_time_s("ep_all_to_all")
    assert a2a < exposed.phase_time_s("compute")  # all of it fits under the compute
    assert hidden.phase_time_s("ep_all_to_all") == pytest.approx(OVERLAP_COMPUTE_SLOWDOWN * a2a, rel=1e-12)
    half = est(m, dataclasses.replace(a100_system, ep_overlap_fraction=0.5), layout)
    assert half.phase_time_s("ep_all_to_all") == pytest.approx(
        0.5 * a2a + OVERLAP_COMPUTE_SLOWDOWN * 0.5 * a2a, rel=1e-12
    )
    assert hidden.step_time_s < half.step_time_s < exposed.step_time_s


def test_a_stage_costs_its_dense_and_moe_layers(a100_system):
    """One stage: the compute time is linear in the number of dense layers among its layers."""
    layout = Layout(dp=8, ep=4)
    t = [est(small(dense_layers=d), a100_system, layout).phase_time_s("compute") for d in (0, 1, 2, 4)]
    step = t[1] - t[0]
    assert step != 0
    assert t[2] - t[0] == pytest.approx(2 * step, rel=1e-9)
    assert t[3] - t[0] == pytest.approx(4 * step, rel=1e-9)


def test_last_stage_holds_moe_layers_only(a100_system):
    """With pp = 2 the first dense layers sit on stage 0; the costed (last) stage is all MoE."""
    layout = Layout(pp=2, dp=4, ep=4)
    front, none = small(dense_layers=2), small(dense_layers=0)
    a, b = est(front, a100_system, layout), est(none, a100_system, layout)
    for name in ("compute", "elementwise", "ep_all_to_all"):
        assert a.phase_time_s(name) == b.phase_time_s(name)
    assert stage_params(front, layout) == stage_params(none, layout)


def test_shared_experts_are_dense_params_replicated_over_ep():
    layout = Layout(tp=2, dp=8, ep=4)
    with_shared, without = small(), small(shared_experts=0)
    (d1, e1), (d0, e0) = stage_params(with_shared, layout), stage_params(without, layout)
    assert e1 == e0 == 6 * 16 * with_shared.mlp_params_per_expert / (2 * 4)
    assert d1 - d0 == pytest.approx(6 * with_shared.mlp_params_per_expert / 2)


def test_deepseek_v3_layout_search_uses_expert_parallelism(h100_system):
    model = load_catalog().model("deepseek-v3")
    fixed = {"tp": 1, "recompute": "full", "microbatch_size": 1}
    cands = search_layouts(model, h100_system, gpus=256, seq_len=4096, sequences=1024,
                           precision="bf16", fixed=fixed)  # fmt: skip
    best = best_layout(cands)
    assert best is not None and best.layout.ep > 1
    assert {c.layout.ep for c in cands} == {1, 2, 4, 8, 16, 32, 64, 128, 256}
    assert best.estimate.memory.total_bytes <= 80e9
    assert best.estimate.phase_time_s("ep_all_to_all") > 0
    # model FLOPs: 6 x the activated weights + MLA attention
    assert best.estimate.flops_per_token == training_flops_per_token(model, 4096)


def test_mtp_layer_fills_the_pipeline_partition():
    """DeepSeek-V3: 61 layers + 1 MTP + embedding + head = 64 slots = 16 stages of 4 (Megatron
    docs, custom pipeline layout for DeepSeek-V3 on PP 16); without MTP, 16 does not fit."""
    ds = load_catalog().model("deepseek-v3")
    layout = Layout(pp=16, dp=128, ep=64)
    assert ds.pipeline_layers == 62
    assert not layout_problems(ds, layout, 2048, 15360)
    (field, msg), *_ = layout_problems(ds, Layout(pp=5, dp=2, ep=2), 10, 10)
    assert field == "pp" and "62 layers (61 + 1 MTP)" in msg
    no_mtp = ds.model_copy(update={"mtp_layers": 0})
    assert layout_problems(no_mtp, layout, 2048, 15360)[0][0] == "pp"


def test_mtp_work_and_weights_on_the_last_stage(a100_system):
    """An MTP module adds one MoE layer, its projection and a second LM head pass to the step
    and its weights to memory, but no model FLOPs (published counts exclude it)."""
    layout = Layout(dp=8, ep=4)
    with_mtp, without = small(mtp_layers=1), small()
    assert with_mtp.mtp_params == with_mtp.layer_params("moe") + 2 * 512 * 512 + 2 * 512
    (d1, e1), (d0, e0) = stage_params(with_mtp, layout), stage_params(without, layout)
    expert = with_mtp.experts * with_mtp.mlp_params_per_expert
    assert e1 - e0 == pytest.approx(expert / 4)
    assert d1 - d0 == pytest.approx(with_mtp.mtp_params - expert)
    a, b = est(with_mtp, a100_system, layout), est(without, a100_system, layout)
    assert a.flops_per_token == b.flops_per_token
    assert a.phase_time_s("compute") > b.phase_time_s("compute")
    assert a.phase_time_s("ep_all_to_all") == pytest.approx(b.phase_time_s("ep_all_to_all") * 7 / 6)
    assert a.memory.activations_bytes > b.memory.activations_bytes


# ---- inference ------------------------------------------------------------------------------
def h200_replica(model_id, precision="fp8"):
    cat = load_catalog()
    node = cat.node("hgx-h200")
    acc = cat.accelerator(node.gpu)
    return estimate_replica(cat.model(model_id), simulated_gpu(acc, cat.generation(acc.generation), None), node,
                            cat.engine("generic"), tp=8, precision=precision, compute_precision=precision,
                            kv_cache_dtype="bf16", max_batch_size=64, max_batch_tokens=8192,
                            memory_utilization=0.9)  # fmt: skip


def test_deepseek_v3_serving_caches_the_mla_latent():
    """70,272 bytes per token in bf16 (61 x (512 + 64) x 2); every one of the 8 GPUs holds
    the latent of all heads."""
    model = load_catalog().model("deepseek-v3")
    perf = h200_replica("deepseek-v3")
    assert model.kv_cache_bytes_per_token(KV_BYTES["bf16"]) == 61 * 576 * 2 == 70272
    assert perf.kv_bytes_per_token == 8 * 70272
    assert perf.weights_bytes == 671e9
    free = 8 * 141 * 2**30 * 0.9 - 671e9 - perf.activation_bytes  # generic: token-granular KV (no blocks)
    assert perf.kv_capacity_tokens == int(free // perf.kv_bytes_per_token)


def test_decode_reads_only_the_routed_experts_in_use():
    perf = h200_replica("deepseek-v3")
    model = load_catalog().model("deepseek-v3")
    st = perf.step
    routed_share = 58 * 256 * model.mlp_params_per_expert / 671e9
    assert st.expert_s / (st.m0 + st.expert_s) == pytest.approx(routed_share, rel=1e-12)
    assert st.weights_s(1) == pytest.approx(st.m0 + st.expert_s * 8 / 256, rel=1e-12)
    assert st.weights_s(2) == pytest.approx(st.m0 + st.expert_s * (1 - (1 - 8 / 256) ** 2), rel=1e-12)
    assert st.weights_s(100_000) == pytest.approx(st.m0 + st.expert_s, rel=1e-12)  # a prefill
    assert st.step_time_s(1, 100, 100, 1) < st.step_time_s(64, 6400, 6400, 64)
    dense = h200_replica("llama-3-70b", "bf16").step
    assert dense.expert_s == 0 and dense.weights_s(1) == dense.weights_s(64) == dense.m0


# ---- existing presets -----------------------------------------------------------------------
def test_existing_presets_estimate_as_before(h100_system):
    """Values computed on main (2d401c2) before these fields existed: unchanged bit for bit."""
    cat = load_catalog()
    mixtral, llama = cat.model("mixtral-8x7b"), cat.model("llama-2-70b")
    assert mixtral.active_params == 12878876672.0
    assert training_flops_per_token(mixtral, 2048) == 79708053504.0
    assert training_flops_per_token(llama, 2048) == 428533263360.0

    def run(model, layout):
        return estimate_layout(model, h100_system, layout, seq_len=2048, sequences=512, precision="bf16")

    e = run(mixtral, Layout(dp=64, ep=8))
    assert (e.step_time_s, e.memory.total_bytes) == (2.3075794020197358, 47137603584.0)
    assert stage_params(mixtral, Layout(dp=64, ep=8)) == (1604583424.0, 5637144576.0)
    lay = Layout(tp=4, pp=4, dp=16, sequence_parallel=True, recompute="selective", ep=8, virtual_pp=2)
    assert run(mixtral, lay).step_time_s == 1.3469388199134993
    e = run(llama, dataclasses.replace(lay, ep=1))
    assert (e.step_time_s, e.memory.total_bytes) == (3.275709345239373, 36367757312.0)
    assert run(llama, Layout(tp=2, dp=128, zero=3)).step_time_s == 5.290956816177889
    best = search_layouts(mixtral, h100_system, gpus=64, seq_len=4096, sequences=256, precision="bf16")[0]
    assert (best.layout.describe(), best.estimate.step_time_s) == (
        "tp=1 pp=1 dp=64 (zero=1, mbs=2, ep=8)",
        2.1325801958368484,
    )
