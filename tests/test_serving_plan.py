"""Capacity planning: fewest replicas that meet an SLO, and SLO parsing errors."""

import pytest

from simcompute.cli import main
from simcompute.config import load_scenario
from simcompute.errors import ConfigError
from simcompute.serving_plan import evaluate, parse_slo, plan_serving
from tests.engine.inference.conftest import SERVING


def scenario():
    w = dict(SERVING["workloads"][0], arrivals={"kind": "poisson", "rate_per_s": 10}, requests=600)
    return load_scenario(dict(SERVING, workloads=[w]))


def test_parse_slo():
    assert parse_slo("ttft_p99=0.5s,tpot_p99=50ms") == {"ttft_p99_s": 0.5, "tpot_p99_s": 0.05}
    with pytest.raises(ConfigError, match="--slo"):
        parse_slo("latency=1s")


def test_fewest_replicas_meet_the_slo():
    sc = scenario()
    slo = {"ttft_p99_s": 0.15}
    plan = plan_serving(sc, slo).iloc[0]
    assert plan["meets_slo"] and plan["ttft_p99_s"] <= 0.15
    service = sc.workloads[0]
    if plan["replicas"] > 1:  # one fewer replica misses the objective
        assert evaluate(sc, service, sc.cluster.node, int(plan["replicas"]) - 1)["ttft_p99_s"] > 0.15


def test_cli_bad_slo_is_one_line(capsys, tmp_path):
    assert main(["plan-serving", "scenarios/llama2-7b-serving.yaml", "--slo", "nonsense"]) == 2
    assert "--slo" in capsys.readouterr().err


def test_gpu_types_the_scenario_does_not_price_get_their_list_price():
    from simcompute.catalog import load_catalog
    from simcompute.serving_plan import gpu_price

    sc = scenario()  # prices its own GPU type
    own = load_catalog().node(sc.cluster.node).gpu
    other = "dgx-h100"
    assert gpu_price(sc, sc.cluster.node) == (sc.cluster.gpu_hour_usd, "scenario")
    price, origin = gpu_price(sc, other)
    assert (
        origin == "catalog list price"
        and price == load_catalog().accelerator("h100-sxm").list_price_usd_per_gpu_hour
    )
    assert price != sc.cluster.gpu_hour_usd and own != "h100-sxm"
    row = evaluate(sc, sc.workloads[0], other, 1)
    assert row["hardware_cost_usd"] == pytest.approx(row["gpu_hours"] * price)
