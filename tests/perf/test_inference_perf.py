"""The replica step model: GEMM curve, imperfect overlap, attention kernels, element-wise and CPU
time, tensor parallelism, precision per part, KV capacity and the power mix of an iteration."""

import pytest

from simcompute.catalog import load_catalog
from simcompute.catalog.precision import WEIGHT_BYTES, compute_precision, kv_cache_dtype
from simcompute.perf.inference import GAP_ACTIVITY, GEMM_OVERLAP_LOSS, estimate_replica, prefill_context
from simcompute.resolve.cluster import simulated_gpu


def replica(
    tp=1,
    precision="bf16",
    node_id="dgx-a100-80gb",
    engine="generic",
    kv="auto",
    model="llama-2-7b",
    batch=256,
    seq=None,
):
    cat = load_catalog()
    node = cat.node(node_id)
    acc = cat.accelerator(node.gpu)
    eng = cat.engine(engine)
    return estimate_replica(
        cat.model(model), simulated_gpu(acc, cat.generation(acc.generation), None), node, eng, tp=tp,
        precision=precision, compute_precision=compute_precision(precision, "auto", acc),
        kv_cache_dtype=kv_cache_dtype(kv, precision, eng.kv_cache_dtype_quantized), max_batch_size=batch,
        max_batch_tokens=8192, memory_utilization=0.9, preallocated_seq_len=seq,
    )  # fmt: skip


def test_batch_one_decode_streams_the_weights_and_pays_the_gemm_fixed_costs():
    cat = load_catalog()
    perf = replica()
    st = perf.step
    acc, gen = cat.accelerator("a100-80gb"), cat.generation("ampere")
    weights_s = (
        6.74e9 * 2 / (acc.hbm_bandwidth_bytes_per_s * cat.engine("generic").weight_read_bandwidth_efficiency)
    )
    assert st.m0 == pytest.approx(weights_s, rel=1e-3)
    compute = st.c0 + st.c_tok + st.c_head
    assert st.c0 > 10 * (
        st.c_tok + st.c_head
    )  # a one-token GEMM is mostly fixed cost: far from its best rate
    assert st.gemm_s(1, 1) == pytest.approx(weights_s + GEMM_OVERLAP_LOSS * compute, rel=1e-3)
    assert st.c0 == pytest.approx(
        gen.gemm_half_size_flops / (acc.peak_flops("bf16") * gen.gemm_efficiency_max) * 129
    )
    # the whole iteration adds attention and element-wise work; generic has no CPU time
    t = st.step_time_s(1, 100, 100, 1)
    assert t == pytest.approx(st.gemm_s(1, 1) + st.m_tok + 100 * max(st.m_ctx, st.c_ctx))


def test_overlap_is_imperfect_near_the_ridge():
    st = replica().step
    ridge = next(b for b in range(1, 4096) if st.c0 + (st.c_tok + st.c_head) * b > st.weights_s(b))
    c, m = st.c0 + (st.c_tok + st.c_head) * ridge, st.weights_s(ridge)
    assert st.gemm_s(ridge, ridge) == pytest.approx(max(c, m) + GEMM_OVERLAP_LOSS * min(c, m))
    assert st.gemm_s(ridge, ridge) > 1.25 * max(c, m)


def test_prefill_computes_logits_of_the_last_token_only():
    st = replica().step
    one_prompt = st.step_time_s(2048, prefill_context(2048, 0), 0, 1)
    many_prompts = st.step_time_s(2048, 16 * prefill_context(128, 0), 0, 16)
    head = 15 * st.c_head  # 15 more sequences: 15 more logits rows
    assert many_prompts - one_prompt < head + 1e-3  # shorter prompts, less attention


def test_prefill_is_compute_bound_quadratic_and_draws_more_power():
    cat = load_catalog()
    st = replica().step
    t1 = st.step_time_s(2048, prefill_context(2048, 0), 0, 1)
    t2 = st.step_time_s(4096, prefill_context(4096, 0), 0, 1)
    assert 2.0 < t2 / t1 < 2.4  # linear GEMMs plus quadratic attention
    assert st.activity(1) < st.activity(64) < st.activity(2048)
    assert st.activity(4096) == pytest.approx(cat.generation("ampere").training_activity, abs=0.05)


def test_decode_series_matches_the_step():
    """The closed form of a decode iteration is the step model's time at every context."""
    for engine in ("vllm", "trt-llm", "generic"):
        st = replica(engine=engine).step
        for batch, kv in ((1, 0), (1, 500), (37, 20_000), (256, 300_000)):
            fixed, per_token = st.decode_series(batch)
            assert fixed + per_token * kv == pytest.approx(st.step_time_s(batch, kv, kv, batch), rel=1e-12)


def test_engines_differ_in_cpu_time_and_launch_gaps():
    cat = load_catalog()
    v0, trt, generic = (replica(engine=e).step for e in ("vllm", "trt-llm", "generic"))
    for batch in (1, 64, 256):
        assert generic.step_time_s(batch, 0, 0, batch) < trt.step_time_s(batch, 0, 0, batch)
        assert trt.step_time_s(batch, 0, 0, batch) < v0.step_time_s(batch, 0, 0, batch)
    eng = cat.engine("vllm")
    assert v0.cpu0 == eng.step_overhead_s and v0.cpu_seq == eng.seq_overhead_s
    # a decode batch above the CUDA-graph sizes, or a prefill, pays the launch gaps
    tgi = replica(engine="tgi").step
    assert tgi.launch_s(32, 32) == 0.0 < tgi.launch_s(33, 33) == tgi.launch_s(512, 1)


def test_tensor_parallel_adds_allreduces_and_engine_time_per_worker():
    one, two, eight = (replica(tp, model="llama-2-13b", engine="vllm") for tp in (1, 2, 8))
    eng = load_catalog().engine("vllm")
    assert one.step.k0 == 0 < two.step.k0 < eight.step.k0
    assert eight.step.m0 == pytest.approx(one.step.m0 / 8)
    assert eight.step.cpu0 - one.step.cpu0 == pytest.approx(7 * eng.tp_step_overhead_s)


def test_low_load_tp8_decode_mostly_waits_and_draws_little():
    """An 8-way TP decode at a small batch spends most of its time in all-reduces and engine
    CPU time, so its activity (power) is well below a busy single-GPU decode's."""
    one = replica(1, model="llama-3-8b", engine="vllm").step
    eight = replica(8, model="llama-2-70b", node_id="dgx-a100-40gb", engine="vllm").step
    assert eight.activity(8) < 0.5 * one.activity(8)
    assert eight.activity(8) > GAP_ACTIVITY


def test_precision_per_part_sets_bytes_capacity_and_peak():
    bf16 = replica(precision="bf16", node_id="dgx-h100", engine="vllm")
    fp8_kv16 = replica(precision="fp8", node_id="dgx-h100", engine="vllm")
    fp8_kv8 = replica(precision="fp8", node_id="dgx-h100", engine="trt-llm")
    assert fp8_kv16.kv_cache_dtype == "bf16" and fp8_kv8.kv_cache_dtype == "fp8"
    assert fp8_kv8.kv_bytes_per_token == fp8_kv16.kv_bytes_per_token / 2
    assert fp8_kv8.kv_capacity_tokens > 1.9 * fp8_kv16.kv_capacity_tokens
    assert fp8_kv16.weights_bytes == pytest.approx(bf16.weights_bytes / 2)
    hopper = load_catalog().generation("hopper").low_precision_gemm_ratio
    # twice the tensor-core peak, sustained at the generation's measured fp8/bf16 efficiency ratio
    assert fp8_kv16.step.c_tok == pytest.approx(bf16.step.c_tok / 2 / hopper, rel=1e-3)
    fp4 = replica(precision="fp4", node_id="hgx-b200", model="llama-3-70b", engine="trt-llm")
    assert fp4.compute_precision == "fp4"
    assert fp4.weights_bytes == pytest.approx(
        load_catalog().model("llama-3-70b").total_params * WEIGHT_BYTES["fp4"]
    )


def test_kv_capacity_from_memory_with_half_a_block_per_sequence():
    perf = replica(engine="vllm", batch=256)
    block = load_catalog().engine("vllm").kv_block_tokens
    free = (
        80 * 2**30 * 0.9
        - 6.74e9 * 2
        - perf.activation_bytes
        - 256 * (block - 1) / 2 * perf.kv_bytes_per_token
    )
    assert perf.kv_bytes_per_token == 2 * 32 * 4096 * 2
    assert perf.kv_capacity_tokens == int(free // perf.kv_bytes_per_token)


def test_a_static_session_preallocates_batch_times_max_seq_whatever_the_memory_share():
    """TensorRT-LLM's GptSession without paged KV holds one contiguous KV tensor for the whole
    batch at the session's max sequence length: 60 x 2,176 tokens of Llama-7B fp16 (63.75 GiB)
    beside 12.6 GiB of weights fit an 80 GiB A100, though 90% of the free memory would not."""
    pool = replica(engine="trt-llm", precision="fp16", model="llama-7b", batch=60)
    session = replica(engine="trt-llm", precision="fp16", model="llama-7b", batch=60, seq=128 + 2048)
    assert session.kv_capacity_tokens == 60 * 2176 > pool.kv_capacity_tokens
    assert session.kv_bytes_per_token == 2**19 and session.step == pool.step


def test_a_static_session_that_cannot_hold_its_kv_tensor_is_an_error():
    with pytest.raises(ValueError, match=r"static session.s KV cache of 64 x 4096 tokens \(128.0 GiB\)"):
        replica(engine="trt-llm", precision="fp16", model="llama-7b", batch=64, seq=4096)


def test_fp8_and_fp4_gemms_sustain_the_generations_measured_share_of_the_16_bit_efficiency():
    """An 8-/4-bit matmul at the power limit holds a lower clock than a 16-bit one (MSMF: H200
    fp8 0.651 vs bf16 0.716 of peak, B200 0.621 vs 0.647); other formats and generations without
    a measurement keep the 16-bit efficiency."""
    cat = load_catalog()
    acc = cat.accelerator("b200")
    gpu = simulated_gpu(acc, cat.generation(acc.generation), None)
    assert gpu.low_precision_gemm_ratio == pytest.approx(0.96)
    assert (
        gpu.gemm_efficiency("fp4")
        == gpu.gemm_efficiency("fp8")
        == pytest.approx(0.96 * gpu.gemm_max_efficiency)
    )
    assert gpu.gemm_efficiency("bf16") == gpu.gemm_efficiency("int8") == gpu.gemm_max_efficiency
    a100 = cat.accelerator("a100-80gb")
    assert simulated_gpu(a100, cat.generation("ampere"), None).low_precision_gemm_ratio == 1.0
    fp4 = replica(precision="fp4", node_id="hgx-b200", model="llama-3-70b", engine="trt-llm").step
    fp8 = replica(precision="fp8", node_id="hgx-b200", model="llama-3-70b", engine="trt-llm").step
    bf16 = replica(precision="bf16", node_id="hgx-b200", model="llama-3-70b", engine="trt-llm").step
    assert fp4.c_tok == pytest.approx(fp8.c_tok / 2) and fp8.c_tok == pytest.approx(bf16.c_tok / 2 / 0.96)
