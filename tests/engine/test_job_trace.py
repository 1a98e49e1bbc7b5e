"""Job traces: the estimate paths of trace rows, and errors that name file, row and column."""

import pytest

import simcompute as sc
from simcompute.errors import ConfigError


def run_trace(scenario_dict, tmp_path, text, name="jobs.csv"):
    path = tmp_path / name
    path.write_text(text)
    scenario_dict["workloads"] = []
    scenario_dict["scheduling"] = {"jobs": str(path)}
    return sc.run(scenario_dict)


def test_flops_and_model_rows_use_the_generation_efficiency(scenario_dict, tmp_path):
    text = "name,submit_s,gpus,flops,model,tokens\nf,0,8,1e20,,\nm,0,8,,llama-7b,1B\n"
    jobs = run_trace(scenario_dict, tmp_path, text).jobs.set_index("workload")
    gen = sc.load_catalog().generation("ampere")
    assert jobs.loc["f", "run_time_s"] == pytest.approx(1e20 / (8 * 312e12 * gen.typical_mfu))
    # The model+tokens row runs exactly like the same job in `workloads:` with the trace defaults.
    workload = dict(kind="training", name="m", model="llama-7b", tokens="1B", gpus=8,
                    global_batch_tokens=4194304, seq_len=2048)  # fmt: skip
    scenario_dict.pop("scheduling")
    scenario_dict["workloads"] = [workload]
    same = sc.run(scenario_dict).jobs.iloc[0]
    assert jobs.loc["m", "run_time_s"] == pytest.approx(same["run_time_s"], rel=1e-12)
    assert jobs.loc["m", "tokens_trained"] == same["tokens_trained"]


def test_parquet_traces_and_units(scenario_dict, tmp_path):
    import pandas as pd

    path = tmp_path / "jobs.parquet"
    pd.DataFrame({"name": ["a"], "submit_s": ["1h"], "gpus": [8], "duration_s": ["30m"]}).to_parquet(path)
    scenario_dict["workloads"] = []
    scenario_dict["scheduling"] = {"jobs": {"path": str(path)}}
    job = sc.run(scenario_dict).jobs.iloc[0]
    assert (job["start_s"], job["end_s"]) == (3600, 5400)


@pytest.mark.parametrize(
    "text,where,message",
    [
        ("name,submit_s,gpus,duration_s\na,0,8,10\nb,0,-2,10\n", "row 2, column 'gpus'", "positive integer"),
        ("name,submit_s,gpus,duration_s\na,0,8,soon\n", "row 1, column 'duration_s'", "duration"),
        ("name,submit_s,gpus\na,0,8\n", "row 1, column 'duration_s'", "give duration_s, or flops"),
        ("name,submit_s,gpus,duration_s\na,0,8,10\na,5,8,10\n", "row 2, column 'name'", "used twice"),
        ("name,submit_s,gpus,model,tokens\na,0,8,llama-8b,1B\n", "row 1, column 'model'", "llama"),
        ("name,submit_s,gpus,duration_s\na,0,64,10\n", "row 1, column 'gpus'", "cluster has 16"),
        ("name,gpus,duration_s\na,8,10\n", "", "missing column(s) submit_s"),
        ("name,submit_s,gpus,duration_s,queue\na,0,8,10,x\n", "", "unknown column(s) queue"),
    ],
)
def test_bad_rows_name_file_row_and_column(scenario_dict, tmp_path, text, where, message):
    with pytest.raises(ConfigError) as err:
        run_trace(scenario_dict, tmp_path, text)
    assert err.value.path == where
    assert message in err.value.message
    assert str(tmp_path / "jobs.csv") in str(err.value)


def test_trace_path_is_relative_to_the_scenario(tmp_path):
    import yaml

    from tests.conftest import BASE

    (tmp_path / "traces").mkdir()
    (tmp_path / "traces" / "j.csv").write_text("name,submit_s,gpus,duration_s\na,0,8,10\n")
    scenario = dict(BASE, workloads=[], scheduling={"jobs": "traces/j.csv"})
    (tmp_path / "s.yaml").write_text(yaml.safe_dump(scenario))
    assert sc.run(tmp_path / "s.yaml").jobs.iloc[0]["end_s"] == 10


def test_a_scenario_needs_workloads_or_a_trace(scenario_dict):
    scenario_dict["workloads"] = []
    with pytest.raises(ConfigError, match="workloads"):
        sc.run(scenario_dict)


def test_bundled_shared_cluster_scenario():
    from tests.conftest import SCENARIOS

    result = sc.run(SCENARIOS / "shared-cluster.yaml")
    cluster = result.cluster.iloc[0]
    pools = result.summary.set_index("workload").loc[["idle", "failed"], "it_energy_kwh"].sum()
    assert cluster["jobs_energy_kwh"] + pools == pytest.approx(result.total("it_energy_kwh"), rel=1e-12)
    assert cluster["jobs"] == 10 and 0 < cluster["utilization"] < 1
