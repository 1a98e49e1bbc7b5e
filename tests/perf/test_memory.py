"""Memory per GPU: ZeRO model states and Korthikanti et al. 2022 activations."""

import pytest

from simcompute.catalog import ModelSpec
from simcompute.perf.layout import Layout
from simcompute.perf.memory import activation_bytes, activation_bytes_per_layer, stage_params, training_memory

# GPT-3 175B as in Korthikanti et al. 2022, Table 3 (96 layers, h 12288, 96 heads, s 2048, b 1, t 8)
GPT3 = ModelSpec(layers=96, hidden=12288, heads=96, vocab=51200, ffn_hidden=49152, tied_embeddings=True)
S, H, A, T = 2048, 12288, 96, 8


@pytest.mark.parametrize(
    ("sp", "recompute", "per_sbh"),
    [
        (False, "none", 10 + 24 / T + 5 * A * S / (H * T)),  # tensor parallel (eq. 2)
        (True, "none", (34 + 5 * A * S / H) / T),  # + sequence parallel (eq. 3)
        (False, "selective", 10 + 24 / T),  # tensor parallel + selective recompute
        (True, "selective", 34 / T),  # + sequence parallel + selective (eq. 6)
        (False, "full", 2.0),  # full recompute keeps each layer's input
    ],
)
def test_activation_per_layer_matches_korthikanti_table_2(sp, recompute, per_sbh):
    layout = Layout(tp=T, pp=8, dp=1, sequence_parallel=sp, recompute=recompute)
    assert activation_bytes_per_layer(GPT3, layout, S, "standard") == pytest.approx(S * H * per_sbh)


def test_flash_attention_never_stores_the_score_matrix():
    layout = Layout(tp=T, pp=8, dp=1, recompute="none")
    flash = activation_bytes_per_layer(GPT3, layout, S, "flash")
    standard = activation_bytes_per_layer(GPT3, layout, S, "standard")
    assert flash == pytest.approx(S * H * (10 + 24 / T) + 4 * A * S / T)  # + fp32 log-sum-exp per row
    assert standard - flash == pytest.approx(5 * A * S * S / T - 4 * A * S / T)
    # selective recompute of standard attention drops the same s^2 terms
    selective = Layout(tp=T, pp=8, dp=1, recompute="selective")
    assert activation_bytes_per_layer(GPT3, selective, S, "standard") == pytest.approx(S * H * (10 + 24 / T))


def test_first_stage_holds_all_layers_worth():
    # 1F1B: pp microbatches of L/pp layers in flight on the first stage -> L layers (Sec 4.2.3)
    layout = Layout(tp=T, pp=8, dp=1, sequence_parallel=True, recompute="selective")
    per_layer = 34 * S * H / T
    total = activation_bytes(GPT3, layout, S, microbatches=64, attention="standard")
    assert total == pytest.approx(per_layer * 96 + 2 * S * H * 8 / T)
    # ~10 GB: "GPT-3 175B ... activations per GPU" with SP + selective (Korthikanti Fig. 7 order)
    assert 9e9 < total < 11.5e9


def test_zero_stages_shard_model_states():
    model = ModelSpec(layers=4, hidden=256, heads=4, vocab=1000, ffn_hidden=1024)
    base = Layout(dp=8)
    dense, _ = stage_params(model, base)
    assert dense == pytest.approx(model.derived_params - model.hidden)  # all but the final norm
    mems = [
        training_memory(model, Layout(dp=8, zero=z), seq_len=128, microbatches=1, precision="bf16")
        for z in range(4)
    ]
    assert mems[0].optimizer_bytes == pytest.approx(12 * dense)
    assert mems[1].optimizer_bytes == pytest.approx(12 * dense / 8)
    assert mems[1].gradients_bytes == pytest.approx(2 * dense) and mems[2].gradients_bytes == pytest.approx(
        2 * dense / 8
    )
    assert mems[2].weights_bytes == pytest.approx(2 * dense) and mems[3].weights_bytes == pytest.approx(
        2 * dense / 8
    )
    assert [m.total_bytes for m in mems] == sorted([m.total_bytes for m in mems], reverse=True)
