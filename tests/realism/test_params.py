"""Stacks and operations data: sourced, derived from the stacks' own benchmarks, up to date."""

import math

import pytest
import yaml

from simcompute.catalog import load_catalog
from simcompute.realism.nodepower import gpu_power_w, host_training_w, node_power_w
from simcompute.realism.params import load_operations, load_stacks, stack_efficiency, stack_id, stacks_raw
from simcompute.validate import derive, load_cases


def _sourced(node, where):
    if isinstance(node, dict):
        if "median" in node or "value" in node:
            assert len(str(node.get("source", ""))) > 20, where
        for k, v in node.items():
            _sourced(v, f"{where}.{k}")


def test_every_operations_number_has_a_source():
    from importlib import resources

    raw = yaml.safe_load(resources.files("simcompute.realism.data").joinpath("operations.yaml").read_text())
    _sourced(raw, "operations")


def test_every_stack_benchmark_cites_its_source():
    for sid, s in stacks_raw()["stacks"].items():
        assert len(s["source"]) > 20, sid
        for b in s["benchmarks"]:
            assert len(b["source"]) > 10 and len(b["locator"]) > 10, b["id"]


def test_derived_stack_ratios_are_up_to_date():
    """stacks_derived.yaml is what the step model predicts now (rerun the derive module if not)."""
    stored = yaml.safe_load(derive.data_path("stacks_derived.yaml").read_text())["benchmarks"]
    fresh = derive.derive()["benchmarks"]
    assert stored.keys() == fresh.keys()
    for k, v in fresh.items():
        assert stored[k]["ratio"] == pytest.approx(v["ratio"], abs=2e-4), k


def test_no_stack_benchmark_is_a_validation_case_unless_it_says_so():
    case_ids = {c.id for c in load_cases()[0]}
    for s in stacks_raw()["stacks"].values():
        for b in s["benchmarks"]:
            assert b["id"] not in case_ids
            assert b.get("same_run_as") is None or b["same_run_as"] in case_ids


def test_stack_efficiency_is_a_geometric_mean_of_its_benchmarks_on_the_generation():
    ratios = [r.ratio for r in load_stacks()["llm-foundry"].ratios if r.generation == "ampere"]
    eff = stack_efficiency("llm-foundry", "ampere")
    assert eff.median == pytest.approx(math.exp(sum(map(math.log, ratios)) / len(ratios)))
    assert 0 < eff.median <= 1 and eff.sd_log > 0


def test_leave_one_out_drops_the_cases_own_run():
    with_bloom = stack_efficiency("deepspeed", "ampere")
    without = stack_efficiency("deepspeed", "ampere", exclude_run="bloom-176b")
    mtnlg = next(r for r in load_stacks()["deepspeed"].ratios if r.same_run_as == "palm-table3-mtnlg")
    assert without.median == pytest.approx(mtnlg.ratio)
    assert with_bloom.median != without.median


def test_unknown_stack_is_between_the_known_stacks():
    known = [
        stack_efficiency(s, "hopper").median
        for s in ("megatron-core", "deepspeed", "llm-foundry", "pytorch-fsdp")
    ]
    unknown = stack_efficiency("unknown", "hopper")
    assert min(known) <= unknown.median <= max(known)
    assert unknown.sd_log > stack_efficiency("llm-foundry", "hopper").sd_log


def test_stack_names_and_aliases():
    assert stack_id("NeMo") == "megatron-core" and stack_id("torchtitan") == "pytorch-fsdp"
    assert stack_id("gpt-neox") == "deepspeed"
    with pytest.raises(ValueError, match=r"unknown stack 'megatorn'.*megatron-core"):
        stack_id("megatorn")


def test_node_power_in_compute_bound_training_is_the_measured_share_of_rating():
    catalog = load_catalog()
    share = load_operations().node_compute_share_of_rating.median
    for node_id in ("dgx-v100", "dgx-a100-80gb", "dgx-h100"):
        node = catalog.node(node_id)
        acc = catalog.accelerator(node.gpu)
        a = catalog.generation(acc.generation).training_activity
        assert node_power_w(node, acc, a, a) == pytest.approx(share * node.rated_power_w)
        idle = node.gpus_per_node * acc.idle_power_w + node.host_power_idle_w
        assert node_power_w(node, acc, a, 0.0) == pytest.approx(idle)
        host = host_training_w(node, gpu_power_w(acc, a))
        assert host < node.host_power_max_w  # below the rating-minus-TDP gap
        assert host + node.gpus_per_node * gpu_power_w(acc, a) == pytest.approx(share * node.rated_power_w)
