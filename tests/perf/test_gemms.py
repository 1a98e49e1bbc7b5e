import pytest

from simcompute.catalog import ModelSpec, load_catalog
from simcompute.perf.efficiency import gemm_efficiency, gemm_time_s
from simcompute.perf.gemms import head_gemm, layer_gemms


def test_gemm_efficiency_saturates():
    assert gemm_efficiency(1e9, 0.8, 1e9) == pytest.approx(0.4)
    assert gemm_efficiency(1e15, 0.8, 1e9) == pytest.approx(0.8, rel=1e-5)
    assert gemm_time_s(1e9, 1e12, 0.8, 1e9) == pytest.approx(2e9 / 0.8e12)
    with pytest.raises(ValueError):
        gemm_efficiency(1e9, 1.5, 1e9)


@pytest.mark.parametrize("name", ["llama-2-70b", "gpt-3-175b", "llama-3-8b"])
def test_layer_gemms_count_the_layer_weights(name):
    """Forward GEMM FLOPs per token = 2 x layer weights; tp splits them evenly."""
    model = load_catalog().model(name)
    tokens = 2048
    flops = sum(g.total_flops for g in layer_gemms(model, tokens))
    weights = model.attention_params_per_layer + model.mlp_params_per_expert * model.experts_per_token
    assert flops / tokens == pytest.approx(2 * weights, rel=1e-3)
    assert sum(g.total_flops for g in layer_gemms(model, tokens, tp=8)) == pytest.approx(flops / 8, rel=1e-3)
    assert head_gemm(model, tokens).flops == 2 * tokens * model.vocab * model.hidden


def test_gqa_shrinks_qkv():
    mha = ModelSpec(layers=1, hidden=1024, heads=16, vocab=10)
    gqa = ModelSpec(layers=1, hidden=1024, heads=16, kv_heads=2, vocab=10)
    assert layer_gemms(gqa, 1)[0].n < layer_gemms(mha, 1)[0].n == 3 * 1024
