"""Predict every stack benchmark with the step model and write data/stacks_derived.yaml.

Run `python -m simcompute.realism.derive` after a change to the step model or to stacks.yaml;
`tests/realism/test_stacks.py` fails while the file is out of date.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from simcompute.catalog import ModelSpec, load_catalog
from simcompute.realism.params import DATA, stacks_raw
from simcompute.validate.cases import Case, case_from_dict, validation_models
from simcompute.validate.runner import predict_case

HEADER = (
    "# Written by `python -m simcompute.realism.derive` from stacks.yaml: the step model's\n"
    "# achievable prediction of each stack benchmark and published / predicted. Do not edit.\n"
)


def benchmark_cases() -> list[Case]:
    raw = stacks_raw()
    models = {**validation_models(), **{k: ModelSpec(**v) for k, v in raw["models"].items()}}
    return [
        case_from_dict(b, models, f"stacks.yaml {sid}")
        for sid, s in raw["stacks"].items()
        for b in s["benchmarks"]
    ]


def derive() -> dict[str, Any]:
    """{benchmark id: {generation, published, predicted, ratio}} for every stack benchmark."""
    catalog = load_catalog()
    out = {}
    for case in benchmark_cases():
        pred = predict_case(case, catalog)
        if pred.estimate is None:
            raise ValueError(f"stacks.yaml {case.id}: no layout fits")
        out[case.id] = {
            "generation": pred.generation,
            "published": case.published,
            "predicted": round(float(pred.value), 6),
            "ratio": round(case.published / float(pred.value), 4),
        }
    return {"benchmarks": out}


def derived_path() -> Path:
    return Path(str(resources.files(DATA).joinpath("stacks_derived.yaml")))


def main() -> None:
    derived_path().write_text(HEADER + yaml.safe_dump(derive(), sort_keys=False), encoding="utf-8")
    print(f"wrote {derived_path()}")


if __name__ == "__main__":
    main()
