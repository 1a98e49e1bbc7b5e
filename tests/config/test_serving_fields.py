"""Serving fields of an inference workload: engine, precision per part, max-throughput arrivals."""

import numpy as np
import pytest

from simcompute.catalog import CatalogError, load_catalog
from simcompute.catalog.precision import KV_BYTES, WEIGHT_BYTES, compute_precision, kv_cache_dtype
from simcompute.config import load_scenario
from simcompute.errors import ConfigError
from simcompute.traffic import generate_requests


def _service(scenario_dict: dict, **fields) -> dict:
    workload = {
        "kind": "inference",
        "name": "svc",
        "model": "llama-2-7b",
        "arrivals": {"kind": "max_throughput"},
    }
    workload.update(fields)
    scenario_dict["workloads"] = [workload]
    return scenario_dict


def test_max_throughput_sends_every_request_at_zero(scenario_dict):
    scenario = _service(scenario_dict, requests=100, prompt_tokens=128, output_tokens=64)
    cfg = load_scenario(scenario).workloads[0]
    reqs = generate_requests(cfg, np.random.default_rng(0), "workloads[0]")
    assert len(reqs.arrival_s) == 100 and not reqs.arrival_s.any()
    assert set(reqs.prompt_tokens) == {128} and set(reqs.output_tokens) == {64}


@pytest.mark.parametrize(
    "fields,where",
    [
        ({}, r"workloads\[0\]\.requests: max_throughput"),
        ({"requests": 10, "duration": 60}, r"workloads\[0\]\.duration: max_throughput"),
        ({"requests": 10, "precision": "int4", "activation_precision": "fp4"}, r"activation_precision: fp4"),
        ({"requests": 10, "kv_cache_dtype": "fp4"}, r"workloads\[0\]\.kv_cache_dtype"),
        ({"requests": 10, "engine": "vlm"}, r"workloads\[0\]\.engine"),
    ],
)
def test_mistakes_name_the_field(scenario_dict, fields, where):
    with pytest.raises(ConfigError, match=where):
        load_scenario(_service(scenario_dict, **fields))


def test_engine_defaults_fill_only_unset_fields(scenario_dict):
    trt = load_catalog().engine("trt-llm")
    cfg = load_scenario(_service(scenario_dict, requests=10, max_batch_size=64)).workloads[0]
    resolved = cfg.with_engine_defaults(trt)
    assert resolved.max_batch_size == 64  # set in the scenario
    assert resolved.max_batch_tokens == trt.max_batch_tokens
    assert resolved.memory_utilization == trt.memory_utilization
    static = load_scenario(_service(scenario_dict, requests=10, scheduler="static")).workloads[0]
    assert static.with_engine_defaults(load_catalog().engine("vllm")).chunked_prefill is False


def test_precision_per_part():
    cat = load_catalog()
    a100, h100, b200 = (cat.accelerator(a) for a in ("a100-80gb", "h100-sxm", "b200"))
    assert compute_precision("fp8", "auto", h100) == "fp8"
    assert compute_precision("int4", "auto", a100) == "bf16"  # weight-only
    assert compute_precision("fp8", "bf16", a100) == "bf16"  # W8A16 (weight-only fp8)
    assert compute_precision("fp4", "auto", b200) == "fp4"
    with pytest.raises(CatalogError, match=r"h100-sxm .*no fp4 tensor cores"):
        compute_precision("fp4", "auto", h100)
    with pytest.raises(CatalogError, match=r"a100-80gb .*no fp8 tensor cores"):
        compute_precision("fp8", "auto", a100)
    assert kv_cache_dtype("auto", "fp8", "fp8") == "fp8"
    assert kv_cache_dtype("auto", "fp8", "bf16") == "bf16"
    assert kv_cache_dtype("auto", "fp16", "fp8") == "fp16"
    assert kv_cache_dtype("int8", "bf16", "fp8") == "int8"
    assert WEIGHT_BYTES["fp4"] < WEIGHT_BYTES["fp8"] < WEIGHT_BYTES["bf16"]
    assert KV_BYTES["fp8"] == KV_BYTES["bf16"] / 2
