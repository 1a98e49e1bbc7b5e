"""The input boundary: bounded files, physical ranges, work limits, and one-line errors naming the file."""

from __future__ import annotations

import copy
import time

import pytest
import yaml

import simcompute as sc
from simcompute.cli import main
from simcompute.config import load_scenario
from simcompute.config.site import SiteConfig
from simcompute.errors import ConfigError
from tests.conftest import BASE, SCENARIOS


def _write(tmp_path, data, name="s.yaml"):
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else yaml.safe_dump(data), encoding="utf-8")
    return path


def _error(tmp_path, data, file_name: str | None = None) -> str:
    """The CLI's stderr for a scenario refused with exit 2 in one line naming the file (or `file_name`)."""
    path = _write(tmp_path, data)
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err):
        code = main(["run", str(path), "--out", str(tmp_path / "out"), "--quiet", "--no-plot"])
    text = err.getvalue()
    assert code == 2, text
    lines = text.splitlines()
    assert len(lines) == 1 and len(lines[0]) <= 200 and lines[0].isprintable(), text
    assert (file_name or path.name) in lines[0], text
    return lines[0]


def _base(**changes):
    data = copy.deepcopy(BASE)
    for dotted, value in changes.items():
        node = data
        *head, last = dotted.split(".")
        for key in head:
            node = node[int(key)] if key.isdigit() else node[key]
        node[last] = value
    return data


# ---- bounded YAML ------------------------------------------------------------------------
def test_deep_nesting_is_refused_not_a_recursion_error(tmp_path):
    text = yaml.safe_dump(_base()).replace("pue: 1.2", "pue: " + "[" * 5000 + "]" * 5000)
    assert "nested deeper than 32 levels" in _error(tmp_path, text)


def test_billion_laughs_is_refused_fast(tmp_path):
    bomb = "[&a [lol, lol], " + ", ".join(f"&{c} [" + ", ".join([f"*{p}"] * 10) + "]"
                                          for p, c in zip("abcdefghi", "bcdefghij")) + "]"  # fmt: skip
    start = time.perf_counter()
    message = _error(tmp_path, f"name: x\nsite: {bomb}\n")
    assert time.perf_counter() - start < 3
    assert "more than 100,000 values" in message


def test_recursive_anchor_is_refused(tmp_path):
    assert "deeper than" in _error(tmp_path, "name: x\ncluster: &b [*b]\n")


def test_long_digit_string_is_refused(tmp_path):
    text = yaml.safe_dump(_base()).replace("seed: 1", "seed: " + "9" * 5000)
    message = _error(tmp_path, text)
    assert "characters" in message and "9999999999" * 10 not in message


def test_file_size_and_kind(tmp_path):
    assert "at most 1,048,576 are read" in _error(
        tmp_path, "name: x\ndescription: '" + "z" * 1_100_000 + "'\n"
    )
    (tmp_path / "dir.yaml").mkdir()
    code = main(["run", str(tmp_path / "dir.yaml"), "--quiet"])
    assert code == 2


def test_nul_bytes_are_escaped_not_echoed(tmp_path):
    message = _error(tmp_path, _base(**{"workloads.0.name": "a\x00b"}))
    assert "\x00" not in message


# ---- numbers in physical ranges ------------------------------------------------------------
@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("seed", 10**30, "seed: must be <= "),
        ("cluster.nodes", 2**70, "cluster.nodes: must be <= 1000000"),
        ("site.pue", float("nan"), "site.pue: must be a finite number"),
        ("site.carbon_intensity_g_per_kwh", float("inf"), "must be a finite number"),
        ("site.electricity_usd_per_kwh", 1e300, "must be <= 10"),
        ("workloads.0.tokens", -2e10, "count must not be negative (got -20000000000.0)"),
        ("workloads.0.tokens", "-20B", "count must not be negative (got '-20B')"),
        ("workloads.0.tokens", 0.5, "must be >= 1"),
    ],
)
def test_out_of_range_numbers(tmp_path, field, value, expected):
    message = _error(tmp_path, _base(**{field: value}))
    assert expected in message
    assert message.count("(got") <= 1


def test_distribution_with_a_mapping_as_kind(tmp_path):
    message = _error(tmp_path, _base(**{"site.pue": {"dist": {"a": 1}, "mean": 1, "sd": 1}}))
    assert "site.pue.dist: unknown distribution a dict" in message


def test_lognormal_token_lengths_are_bounded(scenario_dict):
    service = {"kind": "inference", "name": "chat", "model": "llama-2-7b", "arrivals": {"kind": "poisson",
               "rate_per_s": 1}, "duration": "1m", "prompt_tokens": {"kind": "lognormal", "mean": 1e300,
               "sigma": 1e300}}  # fmt: skip
    scenario_dict["workloads"] = [service]
    with pytest.raises(ConfigError, match=r"prompt_tokens\.mean: must be <="):
        load_scenario(scenario_dict)
    service["prompt_tokens"] = {"kind": "uniform", "low": 1, "high": 2**70}
    with pytest.raises(ConfigError, match=r"prompt_tokens\.high: must be <="):
        load_scenario(scenario_dict)


def test_start_with_a_utc_offset_is_local_time():
    aware = SiteConfig.model_validate({"region": "us-west", "start": "2023-07-01T12:00:00+02:00"})
    naive = SiteConfig.model_validate({"region": "us-west", "start": "2023-07-01T12:00:00"})
    assert aware.start == naive.start


def test_start_year_is_bounded(tmp_path):
    assert "year 9999 is outside" in _error(tmp_path, _base(**{"site.start": "9999-01-01T00:00:00"}))


# ---- messages ----------------------------------------------------------------------------
def test_unknown_workload_kind_is_translated(tmp_path):
    message = _error(tmp_path, _base(**{"workloads.0.kind": "trainin"}))
    assert "workloads[0].kind: unknown kind 'trainin'; expected training or inference" in message
    assert "Input tag" not in message


def test_long_values_are_cut(tmp_path):
    message = _error(tmp_path, _base(**{"cluster.node": "n" * 150}))
    assert "n" * 60 not in message


@pytest.mark.parametrize(
    ("field", "value", "expected"),
    [
        ("workloads.0.gpus", 64, "workloads[0].gpus: 64 GPUs requested but the cluster has 16"),
        ("workloads.0.model", "llama2-7b", "unknown model 'llama2-7b'"),
        ("site.region", "atlantis", "unknown region 'atlantis'"),
    ],
)
def test_resolve_errors_name_the_file(tmp_path, field, value, expected):
    assert expected in _error(tmp_path, _base(**{field: value}))


def test_batch_suggestion_does_not_repeat_itself(tmp_path):
    data = _base(**{"workloads.0.global_batch_tokens": 2048, "workloads.0.parallelism": {"tp": 1, "pp": 1}})
    message = _error(tmp_path, data)
    assert "set global_batch_tokens to 16384 (8 sequences)," in message and "16384 (8)" not in message


# ---- work too large to simulate ------------------------------------------------------------
def _service(**fields):
    return {"kind": "inference", "name": "chat", "model": "llama-2-7b", "arrivals": {"kind": "poisson",
            "rate_per_s": 1e6}, **fields}  # fmt: skip


def test_too_many_requests_are_refused_with_an_estimate(tmp_path):
    data = _base()
    data["workloads"] = [_service(duration="30d")]
    message = _error(tmp_path, data)
    assert "workloads[0].arrivals: ~2.6e12 requests would take ~2.1 years to simulate; at most 4e5" in message
    data["workloads"] = [_service(duration="30d", requests=1000)]
    assert sc.run(data).summary.set_index("workload").loc["chat", "requests"] == 1000


def test_too_many_checkpoints_and_rows_are_refused(tmp_path):
    assert "checkpoints and job events would take" in _error(
        tmp_path, _base(**{"workloads.0.checkpoint_every": "1ms"})
    )
    message = _error(tmp_path, _base(horizon="30d", output={"timeseries_interval": "1ms"}))
    assert "output.timeseries_interval" in message and "rows; at most 5e5" in message


def test_failure_storm_is_refused(tmp_path):
    data = _base(horizon="100y", failures={"gpu_mtbf_h": 1})
    assert "failure and repair events would take" in _error(tmp_path, data)


# ---- files a scenario names ----------------------------------------------------------------
@pytest.mark.parametrize("target", ["/dev/zero", "/etc"])
def test_named_files_must_be_regular(tmp_path, target):
    message = _error(tmp_path, _base(**{"site.grid_profile": target}))
    assert f"site.grid_profile: file {target} is not a regular file" in message


# ---- command-line values -------------------------------------------------------------------
@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["--samples", "0"], "--samples: must be from 1"),
        (["--jobs", "-1", "--samples", "2"], "--jobs: must be from 1"),
    ],
)
def test_cli_option_ranges(tmp_path, capsys, argv, expected):
    path = _write(tmp_path, _base())
    assert main(["run", str(path), *argv]) == 2
    assert expected in capsys.readouterr().err


def test_carbon_window_step_must_be_positive(tmp_path, capsys):
    path = _write(tmp_path, _base())
    assert main(["carbon-window", str(path), "--step", "0s"]) == 2
    assert "--step: must be > 0" in capsys.readouterr().err


def test_failures_that_outpace_checkpoints_are_refused(tmp_path):
    """1,024 GPUs failing every hour each, 3 h checkpoints: the job would never finish."""
    data = yaml.safe_load((SCENARIOS / "gpt3-175b-a100.yaml").read_text())
    data["failures"]["gpu_mtbf_h"] = 20
    message = _error(tmp_path, data)
    assert "failures: ~" in message and "events would take forever to simulate" in message


@pytest.mark.parametrize("field", ["failures.gpu_mtbf_h", "cluster.nodes", "site.pue"])
def test_booleans_are_not_numbers(tmp_path, field):
    data = _base(failures={"gpu_mtbf_h": 50000})
    assert "must be a number, not true" in _error(tmp_path, _set(data, field, True))


def _set(data, dotted, value):
    node = data
    *head, last = dotted.split(".")
    for key in head:
        node = node[key]
    node[last] = value
    return data


@pytest.mark.parametrize(
    ("row", "expected"),
    [
        ("a\x00b,0,8,6h,0", "column 'name': must be printable text"),
        ("a,0,8,6h,1e400", "column 'priority': must be an integer from"),
        ("a,0," + "9" * 5000 + ",6h,0", "column 'gpus': must be a positive integer"),
        ("a,0,8,1e400,0", "column 'duration_s': must be a duration"),
    ],
)
def test_job_trace_cells_are_bounded(tmp_path, row, expected):
    (tmp_path / "jobs.csv").write_text("name,submit_s,gpus,duration_s,priority\n" + row + "\n")
    data = _base(scheduling={"jobs": "jobs.csv"})
    data["workloads"] = []
    message = _error(tmp_path, data, "jobs.csv")
    assert expected in message and "9" * 50 not in message


def test_long_request_trace_is_refused_before_reading(tmp_path):
    rows = "".join(f"{i * 0.001},10,10\n" for i in range(1000))
    (tmp_path / "trace.csv").write_text("arrival_s,prompt_tokens,output_tokens\n" + rows)
    service = {"kind": "inference", "name": "chat", "model": "llama-2-7b",
               "arrivals": {"kind": "trace", "path": "trace.csv"}}  # fmt: skip
    data = _base(limits={"max_requests": 999})
    data["workloads"] = [service]
    assert "workloads[0].arrivals: ~1,000 requests would take" in _error(tmp_path, data)
    data["limits"] = {"max_requests": 1000}
    path = _write(tmp_path, data)
    assert sc.run(path).summary.set_index("workload").loc["chat", "requests"] == 1000
