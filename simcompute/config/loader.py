"""Scenario loading: YAML (safe loader only) -> validated, frozen `Scenario`.

Every problem becomes a `ConfigError` that names the YAML path and what is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simcompute.config.base import FIELD_MARK, did_you_mean
from simcompute.config.distributions import nominal
from simcompute.config.inference import ARRIVAL_KINDS, LENGTH_KINDS
from simcompute.config.inputs import (
    MAX_TABLE_BYTES,
    MAX_YAML_BYTES,
    check_file,
    check_structure,
    read_yaml_file,
)
from simcompute.config.scenario import Scenario
from simcompute.config.workloads import WORKLOAD_KINDS
from simcompute.errors import ConfigError, one_line, show

_MESSAGES = {
    "missing": "required field is missing",
    "extra_forbidden": "unknown key",
    "greater_than": "must be > {gt}",
    "greater_than_equal": "must be >= {ge}",
    "less_than": "must be < {lt}",
    "less_than_equal": "must be <= {le}",
    "too_short": "must not be empty",
    "too_long": "has too many items (at most {max_length})",
    "string_too_long": "is too long (at most {max_length} characters)",
    "finite_number": "must be a finite number",
    "model_type": "must be a mapping of keys",
    "model_attributes_type": "must be a mapping of keys",
    "dict_type": "must be a mapping of keys",
    "list_type": "must be a list",
    "string_type": "must be a string",
    "int_type": "must be an integer",
    "int_parsing": "must be an integer",
    "int_from_float": "must be a whole number",
    "int_parsing_size": "must be an integer of a sensible size",
    "float_type": "must be a number",
    "float_parsing": "must be a number",
    "bool_type": "must be true or false",
    "bool_parsing": "must be true or false",
    "literal_error": "must be {expected}",
    "string_pattern_mismatch": "must be letters, digits, '.', '_' or '-' (starting with a letter or digit)",
    "datetime_type": "must be a date and time, e.g. 2023-07-01T00:00",
    "datetime_parsing": "must be a date and time, e.g. 2023-07-01T00:00",
    "datetime_from_date_parsing": "must be a date and time, e.g. 2023-07-01T00:00",
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
            key = (
                str(item) if isinstance(item, str) and item.isprintable() and len(item) <= 40 else show(item)
            )
            parts.append(("." if parts else "") + key)
        previous = item
    return "".join(parts)


def _join(path: str, sub: str) -> str:
    if not path:
        return sub
    return path + ("" if sub.startswith("[") else ".") + sub


def format_validation_error(err: ValidationError, source: str | None = None) -> ConfigError:
    """The most useful single `ConfigError` from a pydantic error (first one, +N more).

    Pydantic's wording is translated (a union tag becomes `unknown kind 'x'; expected ...`),
    and the offending value is quoted only when short and printable (`errors.show`).
    """
    errors = err.errors(include_url=False)
    # A union (`model: str | ModelSpec`) reports one error per member: for a mapping the
    # "not a string" member error says nothing useful, so the structured member's error wins.
    useful = [e for e in errors if not (e["type"].endswith("_type") and isinstance(e.get("input"), Mapping))]
    useful = useful or errors
    # A misspelt key also makes its field "missing": name the unknown key, the cause.
    first = next((e for e in useful if e["type"] == "extra_forbidden"), useful[0])
    kind, ctx = first["type"], first.get("ctx") or {}
    path = _loc_to_path(tuple(first["loc"]))
    message = first["msg"].removeprefix("Value error, ")
    if message.startswith(FIELD_MARK):
        sub, _, message = message[1:].partition(FIELD_MARK)
        path, message = _join(path, sub), message.strip()
    elif kind in ("union_tag_invalid", "union_tag_not_found"):
        path = _join(path, str(ctx.get("discriminator", "kind")).strip("'"))
        expected = " or ".join(t.strip("' ") for t in str(ctx.get("expected_tags", "")).split(","))
        got = (
            f"unknown kind {show(ctx.get('tag'))}"
            if kind == "union_tag_invalid"
            else "required field is missing"
        )
        message = f"{got}; expected {expected}"
    elif kind in _MESSAGES:
        message = _MESSAGES[kind].format_map(_Defaults(ctx))
        if kind == "extra_forbidden":
            path, key = _loc_to_path(tuple(first["loc"][:-1])), str(first["loc"][-1])
            missing = [
                str(e["loc"][-1])
                for e in useful
                if e["type"] == "missing" and e["loc"][:-1] == first["loc"][:-1]
            ]
            message = f"unknown key {show(key)}" + (did_you_mean(key, missing) if missing else "")
        elif "input" in first and not isinstance(first["input"], (Mapping, list)):
            message += f" (got {show(first['input'])})"
    else:
        message = one_line(message, 100)
    others = len({_loc_to_path(tuple(e["loc"])) for e in errors}) - 1
    if others > 0:
        message += f" (+{others} more problem{'s' if others > 1 else ''})"
    return ConfigError(path or "scenario", message, source)


class _Defaults(dict):
    """Format context that leaves an unknown placeholder visible instead of failing."""

    def __missing__(self, key: str) -> str:
        return "?"


def _read_yaml(path: Path) -> Any:
    data = read_yaml_file(path, "scenario file")
    if data is None:
        raise ConfigError("", "the file is empty; a scenario needs name, site, cluster, workloads", str(path))
    return data


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
        if isinstance(node, str) and _exists(base_dir / node) and not Path(node).is_absolute():
            return str(base_dir / node)
        return node
    head, rest = keys[0], keys[1:]
    if head == "*" and isinstance(node, list):
        return [_resolve_file(item, rest, base_dir) for item in node]
    if isinstance(node, Mapping) and head in node:
        return {**node, head: _resolve_file(node[head], rest, base_dir)}
    return node


def _named_files(node: Any, keys: tuple[str, ...], path: str = "") -> list[tuple[str, str]]:
    """(YAML path, value) of every string at `keys` (`*` for each list item)."""
    if not keys:
        return [(path, node)] if isinstance(node, str) else []
    head, rest = keys[0], keys[1:]
    if head == "*" and isinstance(node, list):
        return [f for i, item in enumerate(node) for f in _named_files(item, rest, f"{path}[{i}]")]
    if isinstance(node, Mapping) and head in node:
        return _named_files(node[head], rest, _join(path, head))
    return []


def _check_named_files(data: Mapping[str, Any], source: str | None) -> None:
    """A named file that exists must be a regular file of bounded size (no folder, no /dev/zero).

    A name that is not on disk is left alone here: it may be a bundled profile, and the
    stage that reads it says when it is missing.
    """
    for keys in _FILE_FIELDS:
        for field, value in _named_files(data, keys):
            if value and _exists(Path(value)):
                max_bytes = MAX_YAML_BYTES if field == "calibration" else MAX_TABLE_BYTES
                check_file(value, "file", field, source, max_bytes=max_bytes)


def _exists(path: Path) -> bool:
    try:
        return path.exists()
    except (OSError, ValueError):  # a NUL byte or a too long name: not a file; checked when read
        return False


def scenario_from_dict(data: Any, base_dir: Path | None = None, source: str | None = None) -> Scenario:
    """Validate a plain mapping (as parsed from YAML) into a `Scenario`.

    Relative file paths inside the scenario (calibration profiles, traces, weather and grid
    profiles) are resolved against `base_dir`, the folder of the scenario file.
    """
    if not isinstance(data, Mapping):
        raise ConfigError("", f"a scenario must be a mapping of keys, got {type(data).__name__}", source)
    check_structure(data, source, "scenario")
    try:
        data = dict(nominal(data))  # uncertain inputs: a plain run uses their means
    except ConfigError as exc:
        raise exc.with_source(source) from None
    if base_dir is not None:
        for keys in _FILE_FIELDS:
            data = _resolve_file(data, keys, base_dir)
    _check_named_files(data, source)
    try:
        scenario = Scenario.model_validate(data)
    except ValidationError as exc:
        raise format_validation_error(exc, source) from None
    scenario._source = source
    return scenario


def load_scenario(source: str | Path | Mapping[str, Any] | Scenario) -> Scenario:
    """A validated `Scenario` from a YAML path, a mapping, or an existing `Scenario`."""
    if isinstance(source, Scenario):
        return source
    if isinstance(source, Mapping):
        return scenario_from_dict(source)
    path = Path(source)
    return scenario_from_dict(_read_yaml(path), base_dir=path.parent, source=str(path))
