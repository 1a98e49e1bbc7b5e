"""The public entry point: scenario in, `Result` out."""

from __future__ import annotations

import platform
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from simcompute.catalog import Catalog
from simcompute.config import Scenario, load_scenario
from simcompute.engine import simulate
from simcompute.errors import ConfigError
from simcompute.resolve import resolve
from simcompute.results import Result, build_result


def run(
    scenario: str | Path | Mapping[str, Any] | Scenario,
    *,
    calibration: str | None = None,
    catalog: Catalog | None = None,
) -> Result:
    """Simulate a scenario (a YAML path, a mapping, or a `Scenario`) and return its `Result`.

    `calibration` is a profile path that overrides the scenario's `calibration:` field;
    `catalog` replaces the bundled catalog (e.g. one engine's values changed).
    """
    from simcompute import __version__

    loaded = load_scenario(scenario)
    resolved = resolve(loaded, catalog=catalog, calibration=calibration)
    try:
        records = simulate(resolved)
    except ConfigError as exc:  # a trace read while simulating: name the scenario too
        raise exc.with_source(loaded.source) from None
    metadata = {
        "scenario": loaded.name,
        "seed": loaded.seed,
        "simcompute_version": __version__,
        "python": platform.python_version(),
        "gpu": resolved.cluster.accelerator.id,
        "node": resolved.cluster.node.id,
        "gpus": resolved.cluster.total_gpus,
        "region": resolved.site.region.id,
        "pue": getattr(resolved.site.facility, "pue", None),
        "calibration": resolved.calibration.path if resolved.calibration else None,
        "end_s": records.end_s,
        "gpu_hour_usd": resolved.cluster.hardware_usd_per_gpu_hour,
        "water_offsite_known": loaded.site.water_intensity_l_per_kwh is not None
        or resolved.site.region.water_intensity_l_per_kwh is not None,
    }
    return build_result(resolved, records, metadata)
