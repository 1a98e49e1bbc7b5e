"""Engines, precision per part and max-throughput runs, through a whole simulation."""

import numpy as np
import pytest

import simcompute as sc
from simcompute.config import load_scenario
from simcompute.errors import ConfigError
from simcompute.resolve import resolve


def scenario(node="dgx-h100", **workload):
    w = {"kind": "inference", "name": "svc", "model": "llama-3-8b", "arrivals": {"kind": "max_throughput"},
         "requests": 200, "prompt_tokens": 256, "output_tokens": 64}  # fmt: skip
    w.update(workload)
    return {"name": "t", "seed": 1, "site": {"region": "us-west", "pue": 1.2}, "cluster": {"node": node, "nodes": 1},
            "workloads": [w]}  # fmt: skip


@pytest.mark.parametrize(
    "node,fields,where,what",
    [
        ("dgx-h100", {"precision": "fp4"}, "precision", r"h100-sxm \(hopper\) has no fp4 tensor cores"),
        ("dgx-a100-80gb", {"precision": "fp8"}, "precision", "no fp8 tensor cores"),
        (
            "dgx-a100-80gb",
            {"precision": "int4", "activation_precision": "fp8"},
            "activation_precision",
            "no fp8",
        ),
    ],
)
def test_formats_a_gpu_lacks_are_errors_naming_the_field(node, fields, where, what):
    with pytest.raises(ConfigError, match=rf"workloads\[0\]\.{where}: .*{what}"):
        resolve(load_scenario(scenario(node, **fields)))


def test_weight_only_formats_run_on_older_gpus():
    spec = resolve(
        load_scenario(scenario("dgx-a100-80gb", precision="fp8", activation_precision="bf16"))
    ).services[0]
    assert spec.perf.compute_precision == "bf16" and spec.perf.weights_bytes < 9e9
    int4 = resolve(load_scenario(scenario("dgx-a100-80gb", precision="int4"))).services[0]
    assert int4.perf.compute_precision == "bf16" and int4.perf.weights_bytes < spec.perf.weights_bytes


def test_engine_defaults_apply_where_the_scenario_is_silent():
    spec = resolve(load_scenario(scenario(engine="vllm-v1"))).services[0]
    assert spec.config.chunked_prefill and spec.config.max_batch_size == 1024
    spec = resolve(load_scenario(scenario(engine="trt-llm", precision="fp8", max_batch_size=64))).services[0]
    assert spec.config.max_batch_size == 64 and spec.perf.kv_cache_dtype == "fp8"


def test_max_throughput_reports_output_tokens_per_gpu():
    result = sc.run(scenario(engine="trt-llm", precision="fp8", gpus_per_replica=2))
    row = result.summary.iloc[0]
    assert (result.requests["arrival_s"] == 0).all()
    assert row["output_tokens_per_s_per_gpu"] == pytest.approx(row["tokens_per_s"] / 2)
    assert row["output_tokens_per_s_per_gpu"] == pytest.approx(200 * 64 / row["wall_time_s"] / 2)


def test_no_evict_engines_never_preempt():
    tight = {"kv_cache_tokens": 6000, "requests": 100, "prompt_tokens": 200, "output_tokens": 400}
    vllm = sc.run(scenario(engine="vllm", **tight)).requests
    trt = sc.run(scenario(engine="trt-llm", **tight)).requests
    assert vllm["preemptions"].sum() > 0 and trt["preemptions"].sum() == 0
    assert np.isfinite(trt["finish_s"]).all()


def test_engine_cpu_time_costs_latency_and_lowers_power():
    fast = sc.run(scenario(engine="generic", requests=64)).summary.iloc[0]
    slow = sc.run(scenario(engine="vllm", requests=64)).summary.iloc[0]
    assert slow["wall_time_s"] > fast["wall_time_s"]
    assert slow["mean_gpu_power_w"] < fast["mean_gpu_power_w"]


def test_static_trt_llm_sessions_preallocate_kv_for_the_longest_sequence():
    """scheduler: static on trt-llm is a GptSession: its KV capacity is max_batch_size x the
    longest prompt + output, not a memory share; other engines' static batches use their pool."""
    static = {"scheduler": "static", "max_batch_size": 32, "prompt_tokens": 256,
              "output_tokens": {"kind": "uniform", "low": 10, "high": 100}}  # fmt: skip
    trt = resolve(load_scenario(scenario(engine="trt-llm", precision="fp8", **static))).services[0]
    assert trt.kv_capacity_tokens == 32 * (256 + 100)
    vllm = resolve(load_scenario(scenario(engine="vllm", **static))).services[0]
    assert vllm.kv_capacity_tokens > 10 * 32 * 356  # the pool of 90% of memory
    lognormal = {**static, "prompt_tokens": {"kind": "lognormal", "mean": 300, "sigma": 0.5}}
    with pytest.raises(
        ConfigError, match=r"workloads\[0\]\.prompt_tokens: .*preallocates KV for the longest"
    ):
        resolve(load_scenario(scenario(engine="trt-llm", **lognormal)))
    with pytest.raises(ConfigError, match=r"workloads\[0\]\.max_batch_size: .*static session.s KV cache"):
        resolve(load_scenario(scenario(engine="trt-llm", **{**static, "max_batch_size": 4096})))
