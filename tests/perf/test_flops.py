"""Attention FLOPs have one formula (`attention_forward_flops`) that training and inference share."""

import pytest

from simcompute.catalog import load_catalog
from simcompute.perf.flops import (
    attention_flops_per_token,
    attention_forward_flops,
    inference_flops_per_token,
)
from simcompute.perf.layout import Layout
from simcompute.perf.training import estimate_layout


@pytest.mark.parametrize("model_id", ["llama-2-7b", "deepseek-v3"])
def test_training_and_inference_attention_flops_are_the_same_formula(model_id):
    model = load_catalog().model(model_id)
    forward = attention_forward_flops(model, 4096)
    assert attention_flops_per_token(model, 4096) == pytest.approx(3 * model.layers * forward, rel=1e-15)
    extra = inference_flops_per_token(model, 4096) - inference_flops_per_token(model, 0)
    assert extra == pytest.approx(model.layers * forward, rel=1e-12)
    # PaLM app. B: 12 L H Q T for forward + backward with equal query/key and value widths
    if model.score_head_dim == model.value_head_dim:
        q = model.score_head_dim
        assert attention_flops_per_token(model, 4096) == pytest.approx(
            12 * model.layers * model.heads * q * 4096
        )


def test_selective_recompute_redoes_exactly_the_forward_attention(a100_system):
    model = load_catalog().model("llama-2-7b")
    layout = Layout(tp=2, pp=1, dp=4, recompute="selective", microbatch_size=1)
    est = estimate_layout(model, a100_system, layout, seq_len=4096, sequences=32, precision="bf16")
    per_token = model.layers * attention_forward_flops(model, 4096)
    assert est.recompute_flops_per_step == pytest.approx(32 * 4096 * per_token, rel=1e-12)
