"""Running sweeps: nothing lost on interruption or failure, resume repeats nothing, backends agree."""

import functools
import os

import pandas as pd
import pytest

from simcompute.errors import SimcomputeError
from simcompute.sweep import LocalExecutor, SweepInterrupted, SweepSpec, run_point, run_sweep

COMPARE_DROP = ["elapsed_s"]


def _spec(values=(8, 16)):
    return SweepSpec.model_validate(
        {"name": "t", "base": {}, "parameters": {"workloads[0].gpus": list(values), "site.pue": [1.1, 1.3]}}
    )


def test_rows_carry_params_and_summary(tmp_path, scenario_dict):
    rows = run_sweep(_spec(), scenario_dict, tmp_path, LocalExecutor(jobs=1))
    assert len(rows) == 4 and (rows["status"] == "ok").all()
    assert {"param.workloads[0].gpus", "param.site.pue", "wall_time_s", "co2_kg", "job.wall_time_s"} <= set(
        rows.columns
    )
    fast = rows[(rows["param.workloads[0].gpus"] == 16)]["job.wall_time_s"].iloc[0]
    slow = rows[(rows["param.workloads[0].gpus"] == 8)]["job.wall_time_s"].iloc[0]
    assert fast < slow < 2.5 * fast  # twice the GPUs: faster, not quite twice (communication)
    assert (tmp_path / "sweep.parquet").exists() and (tmp_path / "sweep.csv").exists()


def test_a_failing_run_is_recorded_and_others_finish(tmp_path, scenario_dict):
    rows = run_sweep(_spec(values=(8, 32)), scenario_dict, tmp_path, LocalExecutor(jobs=1))
    failed = rows[rows["status"] == "failed"]
    assert len(failed) == 2 and (rows["status"] == "ok").sum() == 2
    assert failed["error"].str.contains("workloads\\[0\\].gpus: 32 GPUs requested").all()


class _Interrupt:
    """A point function that raises KeyboardInterrupt (as Ctrl-C would) at the third point."""

    def __init__(self):
        self.calls = 0

    def __call__(self, *task):
        self.calls += 1
        if self.calls == 3:
            raise KeyboardInterrupt
        return run_point(*task)


def test_interrupt_keeps_rows_and_resume_repeats_nothing(tmp_path, scenario_dict):
    with pytest.raises(SweepInterrupted, match="after 2 of 4"):
        run_sweep(_spec(), scenario_dict, tmp_path, LocalExecutor(jobs=1), point_fn=_Interrupt())
    kept = pd.read_parquet(tmp_path / "parts")
    assert len(kept) == 2
    with pytest.raises(SimcomputeError, match="--resume"):
        run_sweep(_spec(), scenario_dict, tmp_path, LocalExecutor(jobs=1))
    calls = []

    def counting(*task):
        calls.append(task[0])
        return run_point(*task)

    rows = run_sweep(_spec(), scenario_dict, tmp_path, LocalExecutor(jobs=1), resume=True, point_fn=counting)
    assert len(rows) == 4 and rows["run_id"].is_unique
    assert set(calls).isdisjoint(set(kept["run_id"])) and len(calls) == 2
    fresh = run_sweep(_spec(), scenario_dict, tmp_path / "fresh", LocalExecutor(jobs=1))
    pd.testing.assert_frame_equal(rows.drop(columns=COMPARE_DROP), fresh.drop(columns=COMPARE_DROP))


def kill_once(run_id, index, params, scenario, marker):
    """Kills its worker process the first time it runs point 1 (a worker killed mid-sweep)."""
    if index == 1 and not os.path.exists(marker):
        open(marker, "w").close()
        os._exit(1)
    return run_point(run_id, index, params, scenario)


def test_killed_worker_loses_nothing(tmp_path, scenario_dict):
    fn = functools.partial(kill_once, marker=str(tmp_path / "killed"))
    rows = run_sweep(_spec(), scenario_dict, tmp_path / "out", LocalExecutor(jobs=2), point_fn=fn)
    assert (tmp_path / "killed").exists()
    assert len(rows) == 4 and (rows["status"] == "ok").all()


def test_process_pool_matches_in_process(tmp_path, scenario_dict):
    serial = run_sweep(_spec(), scenario_dict, tmp_path / "a", LocalExecutor(jobs=1))
    pooled = run_sweep(_spec(), scenario_dict, tmp_path / "b", LocalExecutor(jobs=2))
    pd.testing.assert_frame_equal(serial.drop(columns=COMPARE_DROP), pooled.drop(columns=COMPARE_DROP))


@pytest.mark.filterwarnings("ignore")
def test_ray_backend_matches_local_pool(tmp_path, scenario_dict):
    ray = pytest.importorskip("ray")
    from simcompute.sweep import RayExecutor

    local = run_sweep(_spec(), scenario_dict, tmp_path / "local", LocalExecutor(jobs=2))
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False, configure_logging=False)
    try:
        remote = run_sweep(_spec(), scenario_dict, tmp_path / "ray", RayExecutor())
    finally:
        ray.shutdown()
    pd.testing.assert_frame_equal(local.drop(columns=COMPARE_DROP), remote.drop(columns=COMPARE_DROP))
