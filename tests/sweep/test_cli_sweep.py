"""`simcompute sweep` and `simcompute run --samples` from the command line."""

import copy

import pandas as pd
import yaml

from simcompute.cli import main
from tests.conftest import BASE


def _files(tmp_path, parameters, **extra):
    (tmp_path / "base.yaml").write_text(yaml.safe_dump(copy.deepcopy(BASE)))
    sweep = {"name": "cli", "base": "base.yaml", "parameters": parameters, **extra}
    path = tmp_path / "sweep.yaml"
    path.write_text(yaml.safe_dump(sweep))
    return path


def test_sweep_command_writes_rows(tmp_path, capsys):
    path = _files(tmp_path, {"site.region": ["us-west", "france"]})
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--jobs", "1", "--quiet"]) == 0
    rows = pd.read_parquet(tmp_path / "out" / "sweep.parquet")
    assert list(rows["param.site.region"]) == ["us-west", "france"]
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--jobs", "1", "--quiet"]) == 2
    assert "--resume" in capsys.readouterr().err
    assert (
        main(["sweep", str(path), "--out", str(tmp_path / "out"), "--jobs", "1", "--quiet", "--resume"]) == 0
    )


def test_sweep_unknown_path_is_one_line(tmp_path, capsys):
    path = _files(tmp_path, {"clustr.nodes": [1, 2]})
    assert main(["sweep", str(path), "--out", str(tmp_path / "out"), "--jobs", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "clustr.nodes" in err and "did you mean 'cluster.nodes'?" in err and "Traceback" not in err


def test_sweep_bad_spec(tmp_path, capsys):
    path = _files(tmp_path, {"site.pue": [1.1]}, method="lhs")
    assert main(["sweep", str(path), "--quiet"]) == 2
    assert "samples: method 'lhs' needs a number of samples" in capsys.readouterr().err


def test_run_samples(tmp_path, capsys):
    data = copy.deepcopy(BASE)
    data["site"]["pue"] = {"dist": "uniform", "low": 1.1, "high": 1.3}
    scenario = tmp_path / "u.yaml"
    scenario.write_text(yaml.safe_dump(data))
    out = tmp_path / "mc"
    assert main(["run", str(scenario), "--samples", "6", "--jobs", "1", "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "facility_energy_kwh" in printed and "site.pue" in printed
    intervals = pd.read_csv(out / "intervals.csv")
    assert {"column", "nominal", "p5", "p50", "p95"} <= set(intervals.columns)
    assert len(pd.read_parquet(out / "samples.parquet")) == 6
