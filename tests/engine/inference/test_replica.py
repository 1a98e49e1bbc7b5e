"""Per-request timelines of one replica, hand-checked against the step model."""

import numpy as np
import pytest

import simcompute as sc
from simcompute.config import load_scenario
from simcompute.engine.inference import ServiceRun
from simcompute.perf.inference import prefill_context
from simcompute.resolve import resolve
from simcompute.traffic import Requests


def service(serving, **overrides):
    serving["workloads"][0].update(overrides)
    resolved = resolve(load_scenario(serving))
    return resolved.services[0], resolved.cluster.slot_power


def run(serving, arrivals, prompts, outputs, stop_s=np.inf, **overrides):
    spec, slot = service(serving, **overrides)
    reqs = Requests(np.array(arrivals, float), np.array(prompts), np.array(outputs))
    out = ServiceRun(spec, slot, reqs)
    out.run_to_end(stop_s)
    return out, spec.perf.step


def test_single_request_timeline(serving):
    """Prefill of 10 tokens, then 3 decode steps attending to 11, 12, 13 tokens."""
    out, st = run(serving, [1.0], [10], [4])
    prefill = st.step_time_s(10, prefill_context(10, 0), 0, 1)
    decode = sum(st.step_time_s(1, ctx, ctx, 1) for ctx in (11, 12, 13))
    cols = out.state.columns()
    assert cols["admitted_s"][0] == 1.0
    assert cols["first_token_s"][0] == pytest.approx(1.0 + prefill, rel=1e-12)
    assert cols["finish_s"][0] == pytest.approx(1.0 + prefill + decode, rel=1e-12)


def test_arrival_joins_at_next_iteration_boundary(serving):
    """B arrives during A's first decode step: it waits for the boundary, A pauses for B's prefill."""
    a_prefill = None
    out, st = run(serving, [0.0, 1e-6], [10, 20], [4, 3])
    a_prefill = st.step_time_s(10, prefill_context(10, 0), 0, 1)
    # B arrives during A's prefill, so B is admitted when A's prefill ends
    b_prefill = st.step_time_s(20, prefill_context(20, 0), 0, 1)
    t = a_prefill + b_prefill
    cols = out.state.columns()
    assert cols["admitted_s"][1] == pytest.approx(a_prefill, rel=1e-12)
    assert cols["first_token_s"][1] == pytest.approx(t, rel=1e-12)
    # then batch of two: contexts 11 + 21 = 32, growing by 2 per step; B needs 2 more tokens
    t += st.step_time_s(2, 32, 32, 2) + st.step_time_s(2, 34, 34, 2)
    assert cols["finish_s"][1] == pytest.approx(t, rel=1e-12)
    t += st.step_time_s(1, 13, 13, 1)  # A's last token alone
    assert cols["finish_s"][0] == pytest.approx(t, rel=1e-12)


def test_kv_exhaustion_preempts_and_recomputes(serving):
    out, _ = run(serving, [0.0, 0.0, 0.0], [100, 100, 100], [150, 150, 150], kv_cache_tokens=600)
    cols = out.state.columns()
    assert cols["preemptions"].sum() > 0
    assert np.isfinite(cols["finish_s"]).all()
    # the latest admitted request is the one preempted (vLLM's recompute policy)
    assert cols["preemptions"][2] > 0 and cols["preemptions"][0] == 0


def test_static_batching_waits_for_the_longest(serving):
    out, st = run(serving, [0.0, 0.0], [10, 30], [2, 5], scheduler="static")
    cols = out.state.columns()
    prefill = st.step_time_s(60, 2 * prefill_context(30, 0), 0, 2)
    decode = sum(st.step_time_s(2, 2 * ctx, 2 * ctx, 2) for ctx in (31, 32, 33, 34))
    assert cols["first_token_s"] == pytest.approx([prefill, prefill], rel=1e-12)
    assert cols["finish_s"] == pytest.approx([prefill + decode] * 2, rel=1e-12)


def test_routers(serving):
    """A long request on replica 0: round robin still sends it every other request, LOR does not."""
    arrivals, prompts, outputs = [0.0, 0.1, 0.2, 0.3], [100] * 4, [2000, 2, 2, 2]
    rr, _ = run(serving, arrivals, prompts, outputs, replicas=2)
    lor, _ = run(serving, arrivals, prompts, outputs, replicas=2, router="least_outstanding")
    assert rr.state.columns()["replica"].tolist() == [0, 1, 0, 1]
    assert lor.state.columns()["replica"].tolist() == [0, 1, 1, 1]


@pytest.mark.parametrize(
    "overrides",
    [
        {},
        {"chunked_prefill": True, "max_batch_tokens": 512},
        {"kv_cache_tokens": 4000, "max_batch_size": 16},
        {"scheduler": "static", "max_batch_size": 8},
        {"replicas": 3, "router": "least_outstanding"},
        {"model": "mixtral-8x7b", "gpus_per_replica": 2},
    ],
    ids=["continuous", "chunked", "preempting", "static", "lor", "moe"],
)
def test_closed_form_matches_reference(serving, overrides):
    """Closed-form decode stretches and iteration-by-iteration give the same timelines."""
    w = serving["workloads"][0]
    w.update(arrivals={"kind": "bursty", "rate_per_s": 6.0, "cv": 2.0}, requests=300,
             prompt_tokens={"kind": "lognormal", "mean": 300, "sigma": 0.8},
             output_tokens={"kind": "uniform", "low": 1, "high": 300}, **overrides)  # fmt: skip
    fast = sc.run(serving)
    w["mode"] = "reference"
    slow = sc.run(serving)
    a, b = fast.requests, slow.requests
    assert np.isfinite(a["finish_s"]).all()
    for col in ("admitted_s", "first_token_s", "finish_s", "energy_j"):
        np.testing.assert_allclose(a[col], b[col], rtol=1e-9)
    assert (a["preemptions"] == b["preemptions"]).all()
    assert fast.total("it_energy_kwh") == pytest.approx(slow.total("it_energy_kwh"), rel=1e-9)
    if "kv_cache_tokens" in overrides:
        assert a["preemptions"].sum() > 0


def test_horizon_cuts_requests(serving):
    serving["horizon"] = "20s"
    res = sc.run(serving)
    req = res.requests
    assert req["arrival_s"].max() < 20
    assert (req["finish_s"].dropna() <= 20).all()
    assert res.summary.loc[0, "end_s"] == pytest.approx(20)
