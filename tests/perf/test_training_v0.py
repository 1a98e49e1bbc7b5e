"""Closed-form checks of the v0 training model (PaLM FLOPs, step time, MFU)."""

import pytest

from simcompute.catalog import ModelSpec, load_catalog
from simcompute.perf import estimate_training, matmul_params, tokens_per_step, training_flops_per_token


def test_flops_per_token_formula():
    model = ModelSpec(layers=2, hidden=64, heads=4, vocab=100, ffn_hidden=256, tied_embeddings=True)
    # per layer: attention 4*64*64, MLP 2*64*256 (+ norms); head tied -> counted via the embedding matrix
    n = matmul_params(model)
    assert n == model.active_params  # tied: the shared matrix does the head's GEMM
    assert training_flops_per_token(model, 128) == pytest.approx(6 * n + 12 * 2 * 4 * 16 * 128)


def test_tokens_per_step_rounds_to_whole_sequences():
    assert tokens_per_step(4e6, 2048) == 1953 * 2048
    assert tokens_per_step(100, 2048) == 2048


def test_step_time_closed_form():
    cat = load_catalog()
    model = cat.model("llama-7b")
    a100 = cat.accelerator("a100-80gb")
    est = estimate_training(
        model, a100, gpus=64, seq_len=2048, global_batch_tokens=2048 * 512, precision="bf16",
        efficiency=0.5, activity=0.8,
    )  # fmt: skip
    flops = training_flops_per_token(model, 2048) * 2048 * 512
    assert est.step_time_s == pytest.approx(flops / (64 * 312e12 * 0.5), rel=1e-12)
    assert est.mfu == pytest.approx(0.5, rel=1e-12)
    assert est.mean_activity == pytest.approx(0.8)
