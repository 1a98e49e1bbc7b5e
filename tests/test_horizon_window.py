"""`horizon` is a cap (the run ends when the work is done, at the latest there); `window` is a
fixed accounting period (the run lasts exactly that long); the answer notes idle-dominated totals."""

from __future__ import annotations

import pytest

import simcompute as sc
from simcompute.errors import SimcomputeError
from simcompute.report.answer import answer


def test_horizon_is_a_cap_and_window_a_fixed_period(scenario_dict):
    alone = sc.run(scenario_dict)
    work_s = alone.total("wall_time_s")
    capped = sc.run(scenario_dict | {"horizon": work_s * 10})
    assert capped.total("wall_time_s") == pytest.approx(work_s)  # ends when the work is done
    assert capped.total("gpu_hours") == pytest.approx(alone.total("gpu_hours"))
    cut = sc.run(scenario_dict | {"horizon": work_s / 2})
    assert cut.total("wall_time_s") == pytest.approx(work_s / 2)
    window = sc.run(scenario_dict | {"window": work_s * 10})
    assert window.total("wall_time_s") == pytest.approx(work_s * 10)
    assert window.total("gpu_hours") == pytest.approx(16 * work_s * 10 / 3600)  # every GPU, the whole window
    ans = answer(window.summary, window.jobs, window.metadata)
    assert any(note.startswith("idle time dominates the total") for note in ans.notes)


def test_horizon_and_window_together_is_an_error(scenario_dict):
    with pytest.raises(SimcomputeError, match="window: give horizon"):
        sc.run(scenario_dict | {"horizon": "1d", "window": "2d"})


def test_omitted_parallelism_is_the_layout_search(scenario_dict):
    from simcompute.config import scenario_from_dict

    assert "parallelism" not in scenario_dict["workloads"][0]
    assert scenario_from_dict(scenario_dict).workloads[0].parallelism.auto
    scenario_dict["workloads"][0]["parallelism"] = {"tp": 1}
    assert not scenario_from_dict(scenario_dict).workloads[0].parallelism.auto


def test_a_batch_dp_does_not_divide_suggests_batches_and_a_layout(scenario_dict):
    from simcompute.config import scenario_from_dict

    scenario_dict["workloads"][0].update(global_batch_tokens=2048 * 12, parallelism={"tp": 1})
    with pytest.raises(SimcomputeError) as err:
        scenario_from_dict(scenario_dict)
    message = str(err.value)
    assert "16384 (8 sequences) or 32768 (16 sequences)" in message  # the nearest valid batches
    assert "omit parallelism" in message and "tp*pp = 2 (dp = 4 divides 12 sequences)" in message
