"""Scenario loading: YAML (safe loader only) -> validated, frozen `Scenario`.

Every problem becomes a `ConfigError` that names the YAML path and what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from simcompute.config.base import FIELD_MARK, did_you_mean
from simcompute.config.distributions import nominal
from simcompute.config.inference import ARRIVAL_KINDS, LENGTH_KINDS
from simcompute.config.scenario import Scenario
from simcompute.config.workloads import WORKLOAD_KINDS
from simcompute.errors import ConfigError

_MESSAGES = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown key",
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "too_short": "must not be empty",
}


_UNION_TAGS = {"arrivals": ARRIVAL_KINDS, "prompt_tokens": LENGTH_KINDS, "output_tokens": LENGTH_KINDS}


def _loc_to_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    previous: Any = None
    for item in loc:
        if isinstance(item, int):
            parts.append(f"[{item}]")
        elif isinstance(previous, int) and item in WORKLOAD_KINDS:
            pass  # discriminated-union tag that pydantic inserts after the list index
        elif item in _UNION_TAGS.get(previous, ()):
            pass  # tag of a nested discriminated union (`arrivals.poisson.rate_per_s`)
        elif str(item).startswith(("function-", "str", "float", "int", "dict[")) and parts:
            pass  # union member name (e.g. `str | ModelSpec`), not a YAML key
        else:
            parts.append(("." if parts else "") + str(item))
        previous = item
    return "".join(parts)


def _join(path: str, sub: str) -> str:
    if not path:
        return sub
    return path + ("" if sub.startswith("[") else ".") + sub


def format_validation_error(err: ValidationError, source: str | None = None) -> ConfigError:
    """The most useful single `ConfigError` from a pydantic error (first one, +N more)."""
    errors = err.errors(include_url=False)
    # A union (`model: str | ModelSpec`) reports one error per member: for a mapping the
    # "not a string" member error says nothing useful, so the structured member's error wins.
    useful = [e for e in errors if not (e["type"].endswith("_type") and isinstance(e.get("input"), Mapping))]
    useful = useful or errors
    # A misspelt key also makes its field "missing": name the unknown key, the cause.
    first = next((e for e in useful if e["type"] == "extra_forbidden"), useful[0])
    path = _loc_to_path(tuple(first["loc"]))
    message = first["msg"].removeprefix("Value error, ")
    if message.startswith(FIELD_MARK):
        sub, _, message = message[1:].partition(FIELD_MARK)
        path, message = _join(path, sub), message.strip()
    elif first["type"] in _MESSAGES:
        message = _MESSAGES[first["type"]].format(**(first.get("ctx") or {}))
        if first["type"] == "extra_forbidden":
            path, _, key = path.rpartition(".")
            missing = [
                str(e["loc"][-1])
                for e in useful
                if e["type"] == "missing" and e["loc"][:-1] == first["loc"][:-1]
            ]
            message = f"unknown key '{key}'" + (did_you_mean(key, missing) if missing else "")
    if "input" in first and first["type"] not in ("missing", "extra_forbidden") and "(got " not in message:
        shown = first["input"]
        if not isinstance(shown, (Mapping, list)):
            message += f" (got {shown!r})"
    others = len({_loc_to_path(tuple(e["loc"])) for e in errors}) - 1
    if others > 0:
        message += f" (+{others} more problem{'s' if others > 1 else ''})"
    return ConfigError(path or "scenario", message, source)


def _read_yaml(path: Path) -> Any:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError("", f"scenario file not found: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigError("", f"cannot read scenario file {path}: {exc}") from None
    if not text.strip():
        raise ConfigError("", "the file is empty; a scenario needs name, site, cluster, workloads", str(path))
    try:
        return yaml.safe_load(text)
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}: " if mark else ""
        raise ConfigError(
            "", f"{where}YAML tag not allowed ({exc.problem}); scenarios are plain data", str(path)
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError("", f"not valid YAML: {where}{problem}", str(path)) from None


# Where a scenario names files. Each is relative to the scenario file's folder when the file
# exists there; otherwise it is left as written (a bundled profile name, or a path relative to
# the working directory).
_FILE_FIELDS = (
    ("calibration",),
    ("scheduling", "jobs"),
    ("scheduling", "jobs", "path"),
    ("site", "grid_profile"),
    ("site", "price_profile"),
    ("site", "cooling", "weather_csv"),
    ("workloads", "*", "arrivals", "path"),
    ("workloads", "*", "prompt_tokens", "path"),
    ("workloads", "*", "output_tokens", "path"),
)


def _resolve_file(node: Any, keys: tuple[str, ...], base_dir: Path) -> Any:
    """A copy of `node` with the file named at `keys` made relative to `base_dir`."""
    if not keys:
        if isinstance(node, str) and not Path(node).is_absolute() and (base_dir / node).exists():
            return str(base_dir / node)
        return node
    head, rest = keys[0], keys[1:]
    if head == "*" and isinstance(node, list):
        return [_resolve_file(item, rest, base_dir) for item in node]
    if isinstance(node, Mapping) and head in node:
        return {**node, head: _resolve_file(node[head], rest, base_dir)}
    return node


def scenario_from_dict(data: Any, base_dir: Path | None = None, source: str | None = None) -> Scenario:
    """Validate a plain mapping (as parsed from YAML) into a `Scenario`.

    Relative file paths inside the scenario (calibration profiles, traces, weather and grid
    profiles) are resolved against `base_dir`, the folder of the scenario file.
    """
    if not isinstance(data, Mapping):
        raise ConfigError("", f"a scenario must be a mapping of keys, got {type(data).__name__}", source)
    data = dict(nominal(data))  # uncertain inputs: a plain run uses their means
    if base_dir is not None:
        for keys in _FILE_FIELDS:
            data = _resolve_file(data, keys, base_dir)
    try:
        return Scenario.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(exc, source) from None


def load_scenario(source: str | Path | Mapping[str, Any] | Scenario) -> Scenario:
    """A validated `Scenario` from a YAML path, a mapping, or an existing `Scenario`."""
    if isinstance(source, Scenario):
        return source
    if isinstance(source, Mapping):
        return scenario_from_dict(source)
    path = Path(source)
    return scenario_from_dict(_read_yaml(path), base_dir=path.parent, source=str(path))
