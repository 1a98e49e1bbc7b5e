"""The replica step model: decode memory-bound, prefill compute-bound, TP all-reduce, KV capacity."""

import pytest

from simcompute.catalog import load_catalog
from simcompute.perf.inference import KV_BYTES_PER_ELEMENT, estimate_replica, prefill_context
from simcompute.resolve.cluster import simulated_gpu


def replica(tp=1, precision="bf16", gpu_node="dgx-a100-80gb"):
    cat = load_catalog()
    node = cat.node(gpu_node)
    acc = cat.accelerator(node.gpu)
    return cat, acc, estimate_replica(cat.model("llama-2-7b"), simulated_gpu(acc, cat.generation(acc.generation), None), node, tp=tp,
                                      precision=precision, max_batch_size=256, max_batch_tokens=8192,
                                      memory_utilization=0.9)  # fmt: skip


def test_batch_one_decode_reads_the_weights():
    cat, acc, perf = replica()
    gen = cat.generation("ampere")
    weights = 6.74e9 * 2
    expected = (weights + perf.kv_bytes_per_token * (1 + 100)) / (
        acc.hbm_bandwidth_bytes_per_s * gen.memory_efficiency
    )
    assert perf.step.step_time_s(1, 100, 100) == pytest.approx(expected, rel=1e-12)
    assert perf.step.phase(1, 100, 100).bound == "memory"


def test_prefill_is_compute_bound_and_quadratic():
    cat, _acc, perf = replica()
    st = perf.step
    t1, t2 = (
        st.step_time_s(2048, prefill_context(2048, 0), 0),
        st.step_time_s(4096, prefill_context(4096, 0), 0),
    )
    assert st.phase(2048, prefill_context(2048, 0), 0).bound == "compute"
    assert 2.0 < t2 / t1 < 2.3  # linear FLOPs plus a quadratic attention term
    assert st.activity(2048) == cat.generation("ampere").training_activity
    assert st.activity(1) < st.activity(64) < st.activity(2048)


def test_tensor_parallel_adds_allreduce_and_divides_work():
    _, _, one = replica(1)
    _, _, two = replica(2)
    assert two.step.k0 > 0 and one.step.k0 == 0
    assert two.step.m0 == pytest.approx(one.step.m0 / 2)


def test_kv_capacity_from_memory():
    cat, _acc, perf = replica()
    model = cat.model("llama-2-7b")
    free = 80e9 * 0.9 - 6.74e9 * 2 - perf.activation_bytes
    assert (
        perf.kv_bytes_per_token == model.kv_cache_bytes_per_token(KV_BYTES_PER_ELEMENT) == 2 * 32 * 4096 * 2
    )
    assert perf.kv_capacity_tokens == int(free // perf.kv_bytes_per_token)
    _, _, fp8 = replica(precision="fp8", gpu_node="dgx-h100")
    assert fp8.weights_bytes == pytest.approx(6.74e9)
