"""Dotted paths into a raw scenario mapping: `cluster.nodes`, `workloads[0].parallelism.tp`."""

from __future__ import annotations

import copy
import difflib
import re
from collections.abc import Iterator, Mapping
from typing import Any

from simcompute.errors import ConfigError

_TOKEN = re.compile(r"([^.\[\]]+)|\[(\d+)\]")

Key = str | int


def parse_path(path: str) -> list[Key]:
    """`workloads[0].parallelism.tp` -> ['workloads', 0, 'parallelism', 'tp']."""
    parts: list[Key] = []
    pos = 0
    text = path.strip()
    while pos < len(text):
        if text[pos] == "." and parts:
            pos += 1
        match = _TOKEN.match(text, pos)
        if not match:
            raise ConfigError(path, "not a valid path; write keys with dots and list indexes in brackets")
        parts.append(match.group(1) if match.group(1) is not None else int(match.group(2)))
        pos = match.end()
    if not parts:
        raise ConfigError(path, "empty path")
    return parts


def format_path(parts: list[Key]) -> str:
    out = ""
    for part in parts:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else part)
    return out


def leaf_paths(data: Any, prefix: list[Key] | None = None) -> Iterator[str]:
    """Every path in `data` (intermediate and leaf), for hints."""
    prefix = prefix or []
    if prefix:
        yield format_path(prefix)
    if isinstance(data, Mapping):
        for key, value in data.items():
            yield from leaf_paths(value, [*prefix, str(key)])
    elif isinstance(data, list):
        for i, value in enumerate(data):
            yield from leaf_paths(value, [*prefix, i])


def _nearest(path: str, data: Any) -> str:
    close = difflib.get_close_matches(path, list(leaf_paths(data)), n=1, cutoff=0.5)
    return f"; did you mean '{close[0]}'?" if close else ""


def get_path(data: Any, path: str) -> Any:
    """The value at `path`; a missing step is an error that names the nearest valid path."""
    node = data
    for part in parse_path(path):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            raise ConfigError(path, f"no such path in the base scenario{_nearest(path, data)}") from None
    return node


def set_path(data: Any, path: str, value: Any) -> Any:
    """A deep copy of `data` with `path` set to `value`.

    Every step but the last must exist; the last may be a new key of an existing mapping
    (an optional field the base scenario leaves out). The scenario's own validation then
    rejects keys that are not fields.
    """
    parts = parse_path(path)
    out = copy.deepcopy(data)
    node = out
    for i, part in enumerate(parts[:-1]):
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            where = format_path(parts[: i + 1])
            raise ConfigError(
                path, f"'{where}' does not exist in the base scenario{_nearest(path, data)}"
            ) from None
    last = parts[-1]
    if isinstance(node, list):
        if not isinstance(last, int) or not -len(node) <= last < len(node):
            raise ConfigError(path, f"index {last!r} is out of range{_nearest(path, data)}")
    elif not isinstance(node, dict) or isinstance(last, int):
        raise ConfigError(path, f"cannot set a key below a {type(node).__name__}{_nearest(path, data)}")
    node[last] = value
    return out
