"""The bundled trainer on the CPU: it runs, it learns, its KV cache is exact."""

from __future__ import annotations

import pytest
import torch

from calibration.config import GPTConfig
from calibration.inference import InferenceConfig, measure_inference
from calibration.model import GPT
from calibration.power import NullMeter
from calibration.trainer import Peak, RunConfig, train
from simcompute.perf.flops import training_flops_per_token

CPU = torch.device("cpu")
TINY = GPTConfig(layers=2, hidden=32, heads=2, seq_len=32, vocab=256)


def test_tiny_model_trains_a_few_steps_and_reports_a_point():
    cfg = RunConfig(TINY, batch=2, warmup_steps=1, min_steps=3, min_seconds=0.0)
    point = train(cfg, CPU, Peak(1e11, "test"), NullMeter("energy unavailable: test"))
    assert point.steps >= 3 and point.warmup_steps == 1
    assert point.tokens_per_step == 2 * 32
    assert point.flops_per_token == training_flops_per_token(TINY.to_model_spec(), 32)
    assert point.step_time_min_s <= point.step_time_median_s <= point.step_time_max_s
    assert point.tokens_per_s == pytest.approx(point.tokens_per_step / point.step_time_s)
    assert point.mfu == pytest.approx(point.achieved_tflops * 1e12 / 1e11)
    assert point.energy_j is None and point.energy_per_token_j is None
    assert point.energy["reason"] == "energy unavailable: test"


def test_loss_falls_on_the_bundled_text():
    cfg = RunConfig(GPTConfig(2, 64, 4, 64, 256), batch=8, data="text", warmup_steps=0, min_steps=60,
                    min_seconds=0.0, lr=3e-3)  # fmt: skip
    point = train(cfg, CPU, Peak(1e11, "test"))
    assert point.loss_first > 5.0  # ~ln(256) at initialisation
    assert point.loss_last < point.loss_first - 2.0  # learned at least English byte statistics


def test_parameters_match_the_simulator_model_spec():
    model = GPT(TINY)
    spec = TINY.to_model_spec()
    counted = sum(p.numel() for n, p in model.named_parameters() if n != "pos_emb.weight")
    assert counted == spec.total_params


def test_kv_cache_decode_matches_full_forward():
    torch.manual_seed(0)
    model = GPT(TINY).eval()
    idx = torch.randint(256, (2, 12))
    with torch.no_grad():
        full, _ = model(idx)
        cache = model.new_cache(2, torch.float32, CPU)
        model(idx[:, :8], cache=cache)
        steps = [model(idx[:, i : i + 1], cache=cache, pos=i)[0] for i in range(8, 12)]
    torch.testing.assert_close(torch.cat(steps, dim=1), full[:, 8:], rtol=1e-4, atol=1e-4)


def test_inference_timing_reports_prefill_and_decode():
    cfg = InferenceConfig(TINY, batch=2, context=16, decode_steps=4, repeats=2, min_seconds=0.0)
    prefill, decode = measure_inference(cfg, CPU, peak_flops=1e11, bandwidth_bytes_per_s=1e10)
    assert prefill["phase"] == "prefill" and prefill["time_s"] > 0 and prefill["flops_efficiency"] > 0
    assert decode["phase"] == "decode" and decode["tokens_per_s"] == pytest.approx(2 / decode["time_s"])
    assert decode["energy_j"] is None
