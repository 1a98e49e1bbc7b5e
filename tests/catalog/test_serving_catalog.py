"""Blackwell serving hardware (B200 FP4, GB200, an NVL72 rack as one node) and the engines table."""

import pytest

from simcompute.catalog import load_catalog


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


def test_fp4_is_twice_fp8_on_blackwell_only(cat):
    for acc in ("b200", "gb200"):
        peaks = cat.accelerator(acc).peak_tflops
        assert peaks["fp4"] == pytest.approx(2 * peaks["fp8"])
    for acc in cat.ids("accelerators"):
        if cat.accelerator(acc).generation != "blackwell":
            assert "fp4" not in cat.accelerator(acc).peak_tflops, acc


def test_nvl72_is_one_nvlink_domain_of_72_gb200(cat):
    rack = cat.node("gb200-nvl72")
    assert rack.gpu == "gb200" and rack.gpus_per_node == 72
    gb200, b200 = cat.accelerator("gb200"), cat.accelerator("b200")
    assert gb200.tdp_w > b200.tdp_w and gb200.peak_flops("bf16") > b200.peak_flops("bf16")
    assert rack.nvlink_bandwidth_gbps == cat.node("hgx-b200").nvlink_bandwidth_gbps


def test_engines_differ_where_published(cat):
    trt, v0, v1, tgi, generic = (cat.engine(e) for e in ("trt-llm", "vllm", "vllm-v1", "tgi", "generic"))
    assert trt.kv_cache_dtype_quantized == "fp8" and v1.kv_cache_dtype_quantized == "bf16"
    assert generic.step_overhead_s == generic.seq_overhead_s == generic.tp_step_overhead_s == 0.0
    assert v0.seq_overhead_s > v1.seq_overhead_s  # the V1 rewrite's point (vLLM blogs)
    assert tgi.cuda_graph_max_batch == 32 and v1.kv_block_tokens == 16
    assert trt.reserve_full_output and not v1.reserve_full_output
    assert cat.engine("sglang").chunked_prefill and not trt.chunked_prefill
