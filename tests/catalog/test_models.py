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
        assert cat.model(mid).gated_ffn == mid.startswith(("llama", "mixtral", "deepseek")), mid


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


def test_deepseek_v3_counts_match_published(cat):
    """671B total (main model, no MTP module) and 37B activated per token (arXiv:2412.19437,
    Sec. 4.2); README_WEIGHTS.md gives 36.7B activated, embedding and head included."""
    m = cat.model("deepseek-v3")
    assert m.layer_kinds == (("dense", 3), ("moe", 58))
    # MLA by hand: q down + q norm + q up, kv down (latent + rope key) + kv norm + kv up, out
    q = 7168 * 1536 + 1536 + 1536 * 128 * (128 + 64)
    kv = 7168 * (512 + 64) + 512 + 512 * 128 * (128 + 128)
    assert m.attention_params_per_layer == q + kv + 128 * 128 * 7168
    expert = 3 * 7168 * 2048
    assert m.layer_params("moe") == m.attention_params_per_layer + 257 * expert + 2 * 7168
    assert m.layer_params("dense") == m.attention_params_per_layer + 3 * 7168 * 18432 + 2 * 7168
    assert m.derived_params == pytest.approx(671e9, rel=0.01)
    assert m.active_params == pytest.approx(37e9, rel=0.02)
    assert m.active_params == pytest.approx(36.7e9, rel=0.025)
    assert m.active_params == m.derived_params - 58 * (256 - 8) * expert


def test_mla_kv_cache_is_the_latent():
    """Only the KV latent and the shared RoPE key are cached (DeepSeek-V2, Table 1)."""
    mla = ModelSpec(layers=4, hidden=512, heads=8, vocab=100, kv_lora_rank=64, qk_rope_head_dim=16,
                    qk_nope_head_dim=32, v_head_dim=32)  # fmt: skip
    assert mla.kv_cache_bytes_per_token(2) == 4 * (64 + 16) * 2
    assert mla.kv_cache_heads == 1 and mla.score_head_dim == 48 and mla.value_head_dim == 32
    assert load_catalog().model("deepseek-v3").kv_cache_bytes_per_token(1) == 61 * (512 + 64)
    mha = ModelSpec(layers=4, hidden=512, heads=8, vocab=100)
    assert mha.kv_cache_bytes_per_token(2) == 2 * 4 * 512 * 2 and mha.kv_cache_heads == 8
    # no q_lora_rank: a full-rank query projection
    assert mla.attention_params_per_layer == (
        512 * 8 * 48 + 512 * (64 + 16) + 64 + 64 * 8 * (32 + 32) + 8 * 32 * 512
    )


def test_shared_experts_and_dense_layers():
    base = dict(layers=6, hidden=64, heads=4, vocab=100, ffn_hidden=256, gated_ffn=True)
    moe = ModelSpec(**base, experts=8, experts_per_token=2, shared_experts=2, expert_ffn_hidden=32,
                    dense_layers=2)  # fmt: skip
    attn, norms = moe.attention_params_per_layer, 2 * 64
    expert, dense_mlp = 3 * 64 * 32, 3 * 64 * 256
    assert moe.mlp_params_per_expert == expert and moe.dense_mlp_params == dense_mlp
    assert moe.moe_layers == 4 and moe.layer_kinds == (("dense", 2), ("moe", 4))
    assert moe.non_embedding_params == 2 * (attn + dense_mlp + norms) + 4 * (attn + 10 * expert + norms) + 64
    assert moe.active_non_embedding_params == (
        2 * (attn + dense_mlp + norms) + 4 * (attn + 4 * expert + norms) + 64
    )
    dense = ModelSpec(**base)
    assert dense.layer_kinds == (("dense", 6),) and dense.moe_layers == 0
    assert dense.non_embedding_params == 6 * dense.params_per_layer + 64


@pytest.mark.parametrize(
    "kwargs,msg",
    [
        (dict(shared_experts=1), "shared_experts needs a mixture-of-experts model"),
        (dict(expert_ffn_hidden=128), "expert_ffn_hidden needs a mixture-of-experts model"),
        (dict(dense_layers=1), "dense_layers needs a mixture-of-experts model"),
        (dict(experts=4, dense_layers=2), r"dense_layers \(2\) must be < layers \(2\)"),
        (dict(q_lora_rank=32), "q_lora_rank needs kv_lora_rank"),
        (dict(v_head_dim=16), "v_head_dim needs kv_lora_rank"),
        (dict(kv_lora_rank=32, qk_nope_head_dim=16, v_head_dim=16), "needs qk_rope_head_dim"),
        (dict(kv_lora_rank=32, qk_rope_head_dim=8, qk_nope_head_dim=16, v_head_dim=16, kv_heads=2),
         "kv_heads does not apply"),
        (dict(shared_experts=-1), "shared_experts"),
    ],
)  # fmt: skip
def test_moe_and_mla_validation(kwargs, msg):
    with pytest.raises(ValidationError, match=msg):
        ModelSpec(layers=2, hidden=64, heads=4, vocab=10, **kwargs)


def test_mla_lifts_the_head_divisibility_rule():
    m = ModelSpec(layers=2, hidden=100, heads=3, vocab=10, kv_lora_rank=16, qk_rope_head_dim=8,
                  qk_nope_head_dim=16, v_head_dim=16)  # fmt: skip
    assert m.attention_params_per_layer > 0
