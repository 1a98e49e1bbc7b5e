"""Write the whole-run layer's derived data: data/stacks_derived.yaml and data/residuals.yaml.

stacks_derived.yaml: the step model's prediction of every stack benchmark (stacks.yaml) and
published / predicted. residuals.yaml: the residual spread of published runs around the
expected run, per metric kind, from all validation cases (`simcompute validate` estimates it
leave-one-out instead). Run `python -m simcompute.validate.derive` after a change to the step
model, the whole-run layer or the data; tests/realism fails while the files are out of date.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from simcompute.catalog import ModelSpec, load_catalog
from simcompute.realism import params, residual
from simcompute.realism.params import DATA, stacks_raw
from simcompute.validate.cases import Case, case_from_dict, validation_models
from simcompute.validate.runner import predict_case

HEADER = (
    "# Written by `python -m simcompute.validate.derive` from stacks.yaml: the step model's\n"
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


def derive_residuals() -> dict[str, Any]:
    """{"residuals": {kind: {sd_log, cases, source}}} from all validation cases."""
    from simcompute.validate.runner import residuals_all_cases, run_validation

    found = residuals_all_cases(run_validation())
    source = (
        "estimated from all {n} validation cases of this kind (simcompute/validate/data/cases.yaml):"
        " P10-P90 spread of log(published / P50) less the median spread of the terms"
    )
    return {
        "residuals": {
            kind: {"sd_log": round(sd, 4), "cases": n, "source": source.format(n=n)}
            for kind, (sd, n) in found.items()
        }
    }


def data_path(name: str) -> Path:
    return Path(str(resources.files(DATA).joinpath(name)))


RESIDUALS_HEADER = (
    "# Written by `python -m simcompute.validate.derive`: how far published runs scatter around the\n"
    "# expected run beyond its terms' own spread, per metric kind (the width of `run`'s P10-P90).\n"
    "# Estimated from the validation cases; `simcompute validate` re-estimates it leaving each case out.\n"
)


def main() -> None:
    path = data_path("stacks_derived.yaml")
    path.write_text(HEADER + yaml.safe_dump(derive(), sort_keys=False), encoding="utf-8")
    params.clear_caches()
    res_path = data_path("residuals.yaml")
    res_path.write_text(
        RESIDUALS_HEADER + yaml.safe_dump(derive_residuals(), sort_keys=False), encoding="utf-8"
    )
    residual.load_residuals.cache_clear()
    print(f"wrote {path} and {res_path}")


if __name__ == "__main__":
    main()
