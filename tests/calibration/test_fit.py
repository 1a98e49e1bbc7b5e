"""The fit recovers known parameters from synthetic points; the held-out comparison is exact."""

from __future__ import annotations

import numpy as np
import pytest

from calibration.config import GPTConfig
from calibration.fit import fit_activity, fit_profile_parameters, fit_step_time
from calibration.holdout import compare
from calibration.stepmodel import StepModel, predict_step_time
from calibration.sweep import SWEEPS
from simcompute.perf.flops import training_flops_per_token
from simcompute.profile import FittedParameters

TRUE = StepModel(peak_flops=2e11, gemm_max_efficiency=0.8, gemm_half_size_flops=3e7, attention_efficiency=0.3,
                 elementwise_s_per_element=2e-10, optimizer_s_per_param=5e-9, step_overhead_s=1e-3)  # fmt: skip


def _point(cfg, power_w=None, noise=1.0):
    spec = cfg.model.to_model_spec()
    t = predict_step_time(spec, cfg.batch, cfg.model.seq_len, TRUE) * noise
    tokens = cfg.batch * cfg.model.seq_len
    return {
        "key": cfg.key(), "kind": "training", "config": cfg.as_dict(), "world_size": 1, "steps": 10,
        "tokens_per_step": tokens, "flops_per_token": training_flops_per_token(spec, cfg.model.seq_len),
        "step_time_median_s": t, "mfu": 0.5, "mean_power_w": power_w,
        "energy_j": power_w * t * 10 if power_w else None,
    }  # fmt: skip


def test_fit_recovers_known_parameters():
    sweep = SWEEPS["cpu"]()
    fit = fit_step_time([_point(c) for c in sweep.train], TRUE.peak_flops)
    assert fit.model.gemm_max_efficiency == pytest.approx(TRUE.gemm_max_efficiency, rel=1e-3)
    assert fit.model.gemm_half_size_flops == pytest.approx(TRUE.gemm_half_size_flops, rel=1e-3)
    assert fit.model.attention_efficiency == pytest.approx(TRUE.attention_efficiency, rel=1e-3)
    assert fit.model.step_overhead_s == pytest.approx(TRUE.step_overhead_s, rel=1e-2)
    assert fit.rms_rel_error < 1e-6 and fit.r2 > 0.999999


def test_fit_with_noise_stays_close_and_reports_its_error():
    rng = np.random.default_rng(0)
    sweep = SWEEPS["cpu"]()
    noise = 1 + 0.03 * rng.standard_normal(len(sweep.train))
    fit = fit_step_time([_point(c, noise=n) for c, n in zip(sweep.train, noise)], TRUE.peak_flops)
    assert 0.01 < fit.rms_rel_error < 0.06
    big = sweep.holdout[-1]
    predicted = predict_step_time(big.model.to_model_spec(), big.batch, big.model.seq_len, fit.model)
    truth = predict_step_time(big.model.to_model_spec(), big.batch, big.model.seq_len, TRUE)
    assert predicted == pytest.approx(truth, rel=0.15)


def test_activity_is_recovered_from_mean_power():
    fit = fit_activity([400.0, 400.0], idle_power_w=100.0, max_power_w=700.0)
    assert fit.activity == pytest.approx(0.5) and fit.rms_error_w == pytest.approx(0.0)
    assert fit_activity([], 100.0, 700.0) is None


def test_profile_parameters_validate_and_predict_holdout():
    sweep = SWEEPS["cpu"]()
    pts = [_point(c, power_w=400.0) for c in sweep.train]
    decode = [{"phase": "decode", "mean_power_w": 250.0, "world_size": 1, "memory_efficiency": 0.6}]
    fitted = fit_profile_parameters(
        pts, decode, peak_flops=TRUE.peak_flops, idle_power_w=100.0, max_power_w=700.0
    )
    params = FittedParameters.model_validate(fitted)
    assert params.compute_activity == pytest.approx(0.5)
    assert params.memory_activity == pytest.approx(0.25)
    assert params.memory_efficiency == pytest.approx(0.6)
    assert params.energy_per_model_flop_j is not None
    held = [_point(c, power_w=400.0) for c in sweep.holdout]
    largest = max(p["flops_per_token"] * p["tokens_per_step"] for p in pts)
    rows = compare(fitted, held, largest)
    for row in rows:
        assert row["step_time_error_pct"] == pytest.approx(0.0, abs=0.1)
        assert row["energy_error_pct"] == pytest.approx(0.0, abs=0.1)
        assert 1.5 < row["flops_vs_largest_fitted"] <= 4.0


def test_too_few_points_is_an_error():
    cfg = SWEEPS["tiny"]().train[0]
    with pytest.raises(ValueError, match="at least"):
        fit_step_time([_point(cfg)], 1e11)


def test_gpt_config_maps_to_catalog_shapes():
    spec = GPTConfig(4, 256, 8, 128, 256).to_model_spec()
    assert spec.ffn_hidden_eff == 1024 and not spec.gated_ffn and not spec.tied_embeddings


def test_parameters_on_their_bound_are_named_and_warned():
    """Points with no size dependence and no fixed costs: F_half and the fixed terms hit their bounds."""
    flat = StepModel(peak_flops=2e11, gemm_max_efficiency=0.8, gemm_half_size_flops=1e-3, attention_efficiency=0.3,
                     elementwise_s_per_element=2e-10, optimizer_s_per_param=0.0, step_overhead_s=0.0)  # fmt: skip
    pts = []
    for cfg in SWEEPS["cpu"]().train:
        p = _point(cfg)
        p["step_time_median_s"] = predict_step_time(
            cfg.model.to_model_spec(), cfg.batch, cfg.model.seq_len, flat
        )
        pts.append(p)
    fit = fit_step_time(pts, flat.peak_flops)
    assert "gemm_half_size_flops" in fit.at_bound
    assert fit.model.gemm_half_size_flops == pytest.approx(1.0)  # its floor, not another field's value
    assert any("gemm_half_size_flops sits on its bound" in w for w in fit.warnings())
    fitted = fit_profile_parameters(pts, [], peak_flops=flat.peak_flops, idle_power_w=None, max_power_w=None)
    assert "gemm_half_size_flops" in fitted["goodness_of_fit"]["at_bound"]
    assert FittedParameters.model_validate(fitted).warnings == fitted["warnings"] != []


def test_a_well_posed_fit_has_nothing_on_its_bounds():
    fit = fit_step_time([_point(c) for c in SWEEPS["cpu"]().train], TRUE.peak_flops)
    assert fit.at_bound == () and fit.warnings() == []


def test_the_torch_free_option_list_names_every_sweep():
    from calibration.options import SWEEP_NAMES

    assert set(SWEEP_NAMES) == set(SWEEPS)
