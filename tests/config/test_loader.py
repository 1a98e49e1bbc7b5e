from pathlib import Path

import pytest
from pydantic import ValidationError

from simcompute.config import TrainingWorkload, load_scenario
from simcompute.errors import ConfigError
from tests.conftest import SCENARIOS


def test_parses_durations_and_counts(scenario_dict):
    scenario_dict["horizon"] = "30d"
    scenario_dict["workloads"][0]["tokens"] = "300B"
    scenario_dict["workloads"][0]["checkpoint_every"] = "2h"
    s = load_scenario(scenario_dict)
    assert s.horizon == 30 * 86400
    job = s.workloads[0]
    assert isinstance(job, TrainingWorkload)
    assert job.tokens == 3e11 and job.checkpoint_every == 7200
    assert job.dp == 8


def test_scenario_is_frozen(scenario_dict):
    s = load_scenario(scenario_dict)
    with pytest.raises(ValidationError):
        s.seed = 3  # type: ignore[misc]


def test_inline_model(scenario_dict):
    scenario_dict["workloads"][0]["model"] = {"layers": 4, "hidden": 256, "heads": 4, "vocab": 1000}
    s = load_scenario(scenario_dict)
    assert s.workloads[0].model.layers == 4


def test_inline_model_unknown_key_names_path(scenario_dict):
    scenario_dict["workloads"][0]["model"] = {"layers": 4, "hiden": 256, "heads": 4, "vocab": 1000}
    with pytest.raises(ConfigError) as err:
        load_scenario(scenario_dict)
    assert err.value.path.startswith("workloads[0].model")


def test_error_path_and_message(scenario_dict):
    scenario_dict["workloads"][0]["seq_len"] = 0
    with pytest.raises(ConfigError) as err:
        load_scenario(scenario_dict)
    assert err.value.path == "workloads[0].seq_len"
    assert "must be > 0" in err.value.message


@pytest.mark.parametrize("path", sorted(SCENARIOS.glob("*.yaml")), ids=lambda p: Path(p).stem)
def test_bundled_scenarios_load(path):
    assert load_scenario(path).name


def test_files_are_relative_to_the_scenario(tmp_path, scenario_dict, monkeypatch):
    """A price profile next to the scenario is found whatever the working directory."""
    import yaml

    import simcompute as sc

    folder = tmp_path / "study"
    folder.mkdir()
    (folder / "prices.csv").write_text("hour,price_usd_per_kwh\n" + "".join(f"{h},0.5\n" for h in range(24)))
    scenario_dict["site"].pop("electricity_usd_per_kwh")
    scenario_dict["site"]["price_profile"] = "prices.csv"
    (folder / "s.yaml").write_text(yaml.safe_dump(scenario_dict))
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    monkeypatch.chdir(elsewhere)
    scenario = load_scenario(folder / "s.yaml")
    assert scenario.site.price_profile == str(folder / "prices.csv")
    result = sc.run(scenario)
    assert result.total("energy_cost_usd") == pytest.approx(result.total("facility_energy_kwh") * 0.5)


def test_inline_model_errors_name_the_real_problem(scenario_dict):
    """For a mapping given to `model: str | ModelSpec`, the model's own error is reported."""
    scenario_dict["workloads"][0]["model"] = {"layers": 2, "hidden": 100, "heads": 3, "vocab": 10}
    with pytest.raises(
        ConfigError, match=r"workloads\[0\]\.model: hidden \(100\) must be divisible by heads \(3\)"
    ):
        load_scenario(scenario_dict)
    scenario_dict["workloads"][0]["model"] = {"layers": 2, "hiden": 96, "heads": 4, "vocab": 10}
    with pytest.raises(ConfigError, match=r"unknown key 'hiden'; did you mean 'hidden'\?"):
        load_scenario(scenario_dict)


def test_whole_run_fields_and_their_errors():
    import yaml

    raw = yaml.safe_load((SCENARIOS / "quickstart.yaml").read_text())
    s = load_scenario(raw)
    assert s.realism == "expected" and s.operations == "expected" and s.workloads[0].stack == "unknown"
    raw["realism"] = "best"
    with pytest.raises(ConfigError, match="realism"):
        load_scenario(raw)
    raw["realism"] = "ideal"
    raw["workloads"][0]["batch_ramp"] = {"tokens": "1B", "start_global_batch_tokens": "8M"}
    with pytest.raises(ConfigError, match=r"workloads\[0\]\.batch_ramp\.start_global_batch_tokens"):
        load_scenario(raw)
