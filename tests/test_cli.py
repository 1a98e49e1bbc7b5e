"""The command line end to end: the quick start, and clean one-line errors for bad input."""

from __future__ import annotations

import copy
import subprocess
import sys

import pandas as pd
import pytest
import yaml

from simcompute.cli import main
from tests.conftest import BASE, SCENARIOS


def _write(tmp_path, data, name="s.yaml"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data))
    return path


def _with(change):
    data = copy.deepcopy(BASE)
    change(data)
    return data


def _set(path, value):
    def change(data):
        *parents, last = path
        node = data
        for key in parents:
            node = node[key]
        node[last] = value

    return change


def _drop(key):
    return lambda data: data.pop(key)


BAD = [
    # (id, scenario (dict or raw text), text that must appear in the one-line message)
    ("unknown-key", _with(_set(["nmae"], "x")), "unknown key 'nmae'; did you mean 'name'?"),
    ("unknown-nested-key", _with(_set(["cluster", "fabirc"], "x")), "cluster: unknown key 'fabirc'; did you mean 'fabric'?"),
    ("wrong-type", _with(_set(["cluster", "nodes"], "many")), "cluster.nodes:"),
    ("negative-gpus", _with(_set(["workloads", 0, "gpus"], -8)), "workloads[0].gpus: must be > 0"),
    ("too-many-gpus", _with(_set(["workloads", 0, "gpus"], 64)), "workloads[0].gpus: 64 GPUs requested but the cluster has 16"),
    ("unknown-node", _with(_set(["cluster", "node"], "dgx-a1000")), "cluster.node: unknown node 'dgx-a1000'"),
    ("unknown-model", _with(_set(["workloads", 0, "model"], "llama-8b")), "workloads[0].model: unknown model"),
    ("unknown-region", _with(_set(["site", "region"], "mars")), "site.region: unknown region 'mars'"),
    ("bad-duration", _with(_set(["horizon"], "6 hours")), "horizon: cannot parse duration '6 hours'"),
    ("bad-count", _with(_set(["workloads", 0, "tokens"], "lots")), "workloads[0].tokens: cannot parse count"),
    ("empty-file", "", "the file is empty"),
    ("not-yaml", "name: [unclosed\nseed: 1\n", "not valid YAML"),
    ("python-tag", "name: !!python/object/apply:os.system ['echo pwned']\n", "YAML tag not allowed"),
    ("not-a-mapping", "- just\n- a list\n", "a scenario must be a mapping"),
    ("missing-cluster", _with(_drop("cluster")), "cluster: required field is missing"),
    ("bad-kind", _with(_set(["workloads", 0, "kind"], "traning")), "workloads[0]"),
    ("pue-below-one", _with(_set(["site", "pue"], 0.9)), "site.pue: must be >= 1"),
    ("layout", _with(_set(["workloads", 0, "parallelism"], {"tp": 3})), "workloads[0].parallelism: tp*pp = 3 does not divide gpus = 8"),
    ("duplicate-names", _with(lambda d: d["workloads"].append(copy.deepcopy(d["workloads"][0]))), "workloads[1].name: 'job' is used twice"),
    ("bf16-on-v100", _with(lambda d: d["cluster"].update(node="dgx-v100")), "workloads[0].precision:"),
    ("cap-below-idle", _with(_set(["cluster", "gpu_power_limit_w"], 10)), "cluster.gpu_power_limit_w: 10 W is below"),
    ("inference-no-arrivals", _with(lambda d: d["workloads"].append({"kind": "inference", "name": "chat", "model": "llama-2-7b"})), "workloads[1].arrivals: required field is missing"),
    ("inference-bad-rate", _with(lambda d: d["workloads"].append({"kind": "inference", "name": "chat", "model": "llama-2-7b", "duration": 10, "arrivals": {"kind": "poisson", "rate_per_s": -1}})), "workloads[1].arrivals.rate_per_s: must be > 0"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "scenario", "expected"), BAD, ids=[b[0] for b in BAD])
def test_bad_input_gives_one_line_and_exit_2(tmp_path, capsys, case, scenario, expected):
    path = _write(tmp_path, scenario)
    code = main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2, err
    assert expected in err, err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) <= 2, err
    assert not (tmp_path / "out").exists()


def test_missing_file(tmp_path, capsys):
    assert main(["run", str(tmp_path / "nope.yaml")]) == 2
    assert "scenario file not found" in capsys.readouterr().err


def test_console_script_reports_without_traceback(tmp_path):
    path = _write(tmp_path, "name: !!python/object/apply:os.system ['echo pwned']\n")
    proc = subprocess.run(
        [sys.executable, "-m", "simcompute", "run", str(path)], capture_output=True, text=True, timeout=120
    )
    assert proc.returncode == 2
    assert "Traceback" not in proc.stderr and "pwned" not in proc.stdout
    assert proc.stderr.count("\n") <= 2


def test_quickstart_end_to_end(tmp_path, capsys):
    out = tmp_path / "qs"
    assert main(["run", str(SCENARIOS / "quickstart.yaml"), "--out", str(out)]) == 0
    printed = capsys.readouterr().out
    assert "llama-2-7b-pretrain" in printed and "total" in printed
    for name in ("summary", "timeseries", "jobs", "events"):
        assert (out / f"{name}.csv").exists() and (out / f"{name}.parquet").exists()
    assert (out / "power.png").stat().st_size > 1000
    summary = pd.read_parquet(out / "summary.parquet")
    assert list(summary["workload"]) == ["llama-2-7b-pretrain", "idle", "total"]
    # a second run into the same folder is refused without --force, accepted with it
    assert main(["run", str(SCENARIOS / "quickstart.yaml"), "--out", str(out), "--quiet"]) == 2
    assert "--force" in capsys.readouterr().err
    assert main(["run", str(SCENARIOS / "quickstart.yaml"), "--out", str(out), "--quiet", "--force"]) == 0


def test_catalog_lists_kinds(capsys):
    assert main(["catalog", "accelerators"]) == 0
    out = capsys.readouterr().out
    assert "a100-80gb" in out and "h100-sxm" in out


def test_unwritable_output_is_one_line(tmp_path, capsys):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    code = main(["run", str(SCENARIOS / "quickstart.yaml"), "--out", str(blocker / "sub"), "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert main(["validate", "--out", str(blocker / "v.csv")]) == 2
    assert "Traceback" not in capsys.readouterr().err


def test_catalog_headers_are_not_cut_and_unknowns_say_so(capsys):
    assert main(["catalog"]) == 0
    out = capsys.readouterr().out
    assert "…" not in out and max(len(line) for line in out.splitlines()) <= 120
    assert "unknown" in out  # regions without a sourced off-site water intensity, GPUs without a list price


def test_carbon_window_answers_in_human_units_and_warns_on_a_flat_grid(capsys):
    assert main(["carbon-window", str(SCENARIOS / "carbon-window.yaml"), "--window", "24h"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("best start: +") and " kg CO2 vs " in out and "note:" not in out
    assert main(["carbon-window", str(SCENARIOS / "quickstart.yaml"), "--window", "3h"]) == 0
    assert "note: every start emits the same CO2" in capsys.readouterr().out


def test_plan_prints_the_fastest_fitting_layout_in_gib(capsys):
    assert main(["plan", str(SCENARIOS / "quickstart.yaml"), "--top", "3"]) == 0
    out = capsys.readouterr().out
    assert "fastest layout that fits 64 x a100-80gb (80 GiB): tp=" in out
    assert "memory GiB" in out


def test_plan_says_when_there_is_no_training_workload(capsys):
    assert main(["plan", str(SCENARIOS / "llama2-7b-serving.yaml")]) == 0
    assert "no training workload to plan" in capsys.readouterr().out
