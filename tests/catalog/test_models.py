import pytest
from pydantic import ValidationError

from simcompute.catalog import ModelSpec, llama_ffn_hidden, load_catalog


@pytest.fixture(scope="module")
def cat():
    return load_catalog()


@pytest.mark.parametrize("mid", load_catalog().ids("models"))
def test_derived_params_match_published(cat, mid):
    m = cat.model(mid)
    assert m.params is not None, f"{mid}: preset must carry its published params"
    assert m.derived_params == pytest.approx(m.params, rel=0.03), (
        f"{mid}: derived {m.derived_params / 1e9:.3f}B vs published {m.params / 1e9:.3f}B"
    )
    assert m.total_params == m.params
    if m.experts == 1:
        assert m.active_params == m.total_params
    else:  # MoE: only experts_per_token of the experts work per token
        assert m.active_params < m.total_params
    assert m.source and "http" in m.source


def test_gated_flags(cat):
    for mid in cat.ids("models"):
        assert cat.model(mid).gated_ffn == mid.startswith(("llama", "mixtral")), mid


def test_llama_2_70b_gqa(cat):
    m = cat.model("llama-2-70b")
    assert m.kv_heads == 8 and m.head_dim == 128 and m.ffn_hidden_eff == 28672
    assert m.derived_params == pytest.approx(69e9, rel=0.01)
    # GQA: K/V cache is 8/64 of MHA
    assert m.kv_cache_bytes_per_token(2) == 2 * 80 * 8 * 128 * 2


def test_llama_ffn_rule():
    assert llama_ffn_hidden(4096) == 11008
    assert llama_ffn_hidden(5120) == 13824
    assert llama_ffn_hidden(8192) == 22016
    assert llama_ffn_hidden(6656) == 17920


def test_inline_defaults():
    m = ModelSpec(layers=32, hidden=4096, heads=32, vocab=32000, gated_ffn=True)
    assert m.name == "custom"
    assert m.kv_heads is None and m.kv_heads_eff == 32
    assert m.ffn_hidden_eff == 11008
    assert m.max_seq_len == 2048
    assert m.params is None
    assert m.total_params == m.derived_params == pytest.approx(6.74e9, rel=0.01)
    plain = ModelSpec(layers=12, hidden=768, heads=12, vocab=50257, tied_embeddings=True)
    assert plain.ffn_hidden_eff == 3072
    assert plain.total_params == pytest.approx(124e6, rel=0.01)
    assert plain.embedding_params == 50257 * 768
    assert ModelSpec(layers=12, hidden=768, heads=12, vocab=50257).embedding_params == 2 * 50257 * 768


def test_param_breakdown_consistent():
    m = ModelSpec(layers=2, hidden=64, heads=4, kv_heads=2, vocab=100, ffn_hidden=256)
    attn = 2 * 64 * 64 + 2 * 64 * (2 * 16)
    mlp = 2 * 64 * 256
    assert m.params_per_layer == attn + mlp + 2 * 64
    assert m.non_embedding_params == 2 * m.params_per_layer + 64
    assert m.derived_params == m.non_embedding_params + 2 * 100 * 64


def test_moe_active_params():
    dense = ModelSpec(layers=4, hidden=256, heads=4, vocab=1000)
    moe = ModelSpec(layers=4, hidden=256, heads=4, vocab=1000, experts=8, experts_per_token=2)
    per_expert = moe.mlp_params_per_expert
    assert moe.derived_params == dense.derived_params + 4 * 7 * per_expert
    assert moe.active_params == dense.derived_params + 4 * 1 * per_expert
    assert moe.active_params < moe.total_params


@pytest.mark.parametrize(
    "kwargs,msg",
    [
        (dict(layers=2, hidden=100, heads=3, vocab=10), "divisible by heads"),
        (dict(layers=2, hidden=96, heads=6, kv_heads=4, vocab=10), "divisible by kv_heads"),
        (dict(layers=0, hidden=64, heads=4, vocab=10), "greater than 0"),
        (dict(layers=2, hidden=64, heads=4, vocab=10, experts=2, experts_per_token=3), "experts_per_token"),
        (dict(layers=2, hidden=64, heads=4, vocab=10, hiden=3), "Extra inputs"),
        (dict(layers=2, hidden=64, heads=4), "vocab"),
    ],
)
def test_validation(kwargs, msg):
    with pytest.raises(ValidationError, match=msg):
        ModelSpec(**kwargs)


def test_frozen():
    m = ModelSpec(layers=2, hidden=64, heads=4, vocab=10)
    with pytest.raises(ValidationError):
        m.layers = 3
    hash(m)  # usable as a cache key
