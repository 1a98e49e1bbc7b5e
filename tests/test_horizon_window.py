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
