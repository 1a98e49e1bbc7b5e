"""The boundary for everything a user gives: files are checked and bounded before parsing.

Scenario, sweep and calibration-profile YAML, job and request traces and profile CSVs pass
through here. Limits (documented, so a refused input says which one it broke):

- a YAML file is at most `MAX_YAML_BYTES`, a CSV/Parquet table at most `MAX_TABLE_BYTES`;
- YAML nests at most `MAX_DEPTH` levels and expands (aliases included) to at most
  `MAX_NODES` values, so an alias bomb ("billion laughs") is refused in milliseconds;
- a single string is at most `MAX_STRING_CHARS` characters;
- a path names a regular, readable file.

Every problem is a one-line `ConfigError` naming the file.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from simcompute.errors import ConfigError, show

MAX_YAML_BYTES = 1_048_576
"""1 MiB: the bundled scenarios are 1-3 kB, a calibration profile with its points ~20 kB."""
MAX_TABLE_BYTES = 256 << 20
"""256 MiB: a trace of about 5 million rows (`MAX_TRACE_ROWS`); larger ones are refused."""
MAX_TRACE_ROWS = 5_000_000
"""Rows read from a request trace file (the work limits of `simcompute.limits` apply on top)."""
MAX_TRACE_JOBS = 100_000
"""Rows of a job trace: each is parsed and resolved before the simulation (bench_cluster: 10,000)."""
MAX_DEPTH = 32
"""Nesting levels of mappings and lists; a scenario uses 5."""
MAX_NODES = 100_000
"""Values after alias expansion; a scenario has about 50, a profile a few thousand."""
MAX_STRING_CHARS = 4_096
"""Characters in one string (names, paths, descriptions)."""


class _BoundedLoader(yaml.SafeLoader):
    """The safe loader with a nesting-depth limit while composing (it recurses per level)."""

    def __init__(self, stream: str):
        super().__init__(stream)
        self._depth = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        self._depth += 1
        try:
            if self._depth > MAX_DEPTH:
                mark = self.peek_event().start_mark
                raise _LimitError(f"line {mark.line + 1}: nested deeper than {MAX_DEPTH} levels")
            event = self.peek_event()
            if isinstance(event, yaml.ScalarEvent) and len(event.value) > MAX_STRING_CHARS:
                raise _LimitError(
                    f"line {event.start_mark.line + 1}: a value of {len(event.value):,} characters; "
                    f"at most {MAX_STRING_CHARS:,} are read"
                )
            return super().compose_node(parent, index)
        finally:
            self._depth -= 1


class _LimitError(Exception):
    """An input exceeds one of the documented limits."""


def check_structure(data: Any, source: str | None = None, what: str = "input") -> None:
    """Refuse a parsed value that nests too deep, expands too far or holds a too long string.

    Shared references (YAML aliases) are counted each time they appear, as every later
    stage walks them again; the walk stops at the first limit, so it is fast either way.
    """
    count = 0
    stack: list[tuple[Any, int]] = [(data, 0)]
    while stack:
        value, depth = stack.pop()
        count += 1
        if count > MAX_NODES:
            raise ConfigError(
                "", f"the {what} expands to more than {MAX_NODES:,} values (YAML aliases?)", source
            )
        if depth > MAX_DEPTH:
            raise ConfigError("", f"the {what} nests deeper than {MAX_DEPTH} levels", source)
        if isinstance(value, str) and len(value) > MAX_STRING_CHARS:
            raise ConfigError(
                "", f"a string of {len(value):,} characters; at most {MAX_STRING_CHARS:,} are allowed", source
            )
        if isinstance(value, Mapping):
            for key, item in value.items():
                stack.append((key, depth + 1))
                stack.append((item, depth + 1))
        elif isinstance(value, (list, tuple)):
            stack.extend((item, depth + 1) for item in value)


def check_file(path: str | Path, what: str, field: str = "", source: str | None = None,
               max_bytes: int = MAX_TABLE_BYTES) -> Path:  # fmt: skip
    """`path` as a `Path` once it is known to be a regular, readable file of at most `max_bytes`.

    `field` and `source` place the error (the YAML field naming the file, and its scenario).
    """
    file = Path(path)
    shown = _short_path(file)
    try:
        exists, regular = file.exists(), file.is_file()
        size = file.stat().st_size if regular else 0
    except (OSError, ValueError) as exc:  # a NUL in the name, a too long name, no permission
        raise ConfigError(field, f"{what} {shown} cannot be read ({type(exc).__name__})", source) from None
    if not exists:
        raise ConfigError(field, f"{what} not found: {shown}", source)
    if not regular:
        raise ConfigError(field, f"{what} {shown} is not a regular file", source)
    if size > max_bytes:
        raise ConfigError(field, f"{what} {shown} is {size:,} bytes; at most {max_bytes:,} are read", source)
    return file


def _short_path(path: Path) -> str:
    text = str(path)
    return text if len(text) <= 80 and text.isprintable() else show(text, 80)


def load_yaml_text(text: str, source: str | None = None, what: str = "file") -> Any:
    """Parse YAML with the safe loader inside the limits above; errors name `source`."""
    loader = None
    try:
        loader = _BoundedLoader(text)  # its reader refuses control characters at once
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except _LimitError as exc:
        raise ConfigError("", f"the {what} {exc}", source) from None
    except yaml.constructor.ConstructorError as exc:
        mark = exc.problem_mark
        where = f"line {mark.line + 1}: " if mark else ""
        raise ConfigError(
            "", f"{where}YAML tag not allowed ({exc.problem}); give plain data", source
        ) from None
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}, column {mark.column + 1}: " if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ConfigError("", f"not valid YAML: {where}{problem}", source) from None
    except (ValueError, OverflowError, TypeError, RecursionError) as exc:
        # the safe constructor's own conversions: a date like 2023-02-30, a key that is a list
        raise ConfigError(
            "", f"not valid YAML: a value cannot be read ({type(exc).__name__}: {exc})", source
        ) from None
    finally:
        if loader is not None:
            loader.dispose()
    check_structure(data, source, what)
    return data


def read_yaml_file(path: str | Path, what: str = "file", field: str = "", source: str | None = None) -> Any:
    """A bounded YAML file (see the limits above) as plain data; None when it is empty.

    Errors name the file itself; `field`/`source` name where it was referred to from, if anywhere.
    """
    file = check_file(path, what, field, source, max_bytes=MAX_YAML_BYTES)
    try:
        text = file.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError("", f"not UTF-8 text (byte {exc.start})", str(file)) from None
    except OSError as exc:
        raise ConfigError(
            field, f"{what} {file} cannot be read ({exc.strerror or type(exc).__name__})", source
        ) from None
    return load_yaml_text(text, str(file), what) if text.strip() else None


# Command-line options: (attribute, flag, lowest, highest).
_INT_OPTIONS = (
    ("samples", "--samples", 1, 100_000),
    ("jobs", "--jobs", 1, 4_096),
    ("top", "--top", 1, 100_000),
    ("max_replicas", "--max-replicas", 1, 1_000_000),
)
MAX_CANDIDATES = 10_000
"""Candidate starts of `carbon-window` (window / step) and power caps of `pareto`: each is a run."""


def check_options(args: Any) -> None:
    """Refuse command-line values out of range before any work (counts, durations, power caps)."""
    from simcompute.config.base import MAX_POWER_W
    from simcompute.units import parse_duration

    for name, flag, low, high in _INT_OPTIONS:
        value = getattr(args, name, None)
        if value is not None and not low <= value <= high:
            raise ConfigError(flag, f"must be from {low:,} to {high:,} (got {value:,})")
    if getattr(args, "window", None) is not None and getattr(args, "step", None) is not None:
        try:
            window_s, step_s = parse_duration(args.window), parse_duration(args.step)
        except ValueError as exc:
            raise ConfigError("--window/--step", str(exc)) from None
        if step_s <= 0:
            raise ConfigError("--step", "must be > 0")
        if window_s / step_s > MAX_CANDIDATES:
            raise ConfigError(
                "--step", f"{window_s / step_s:.3g} candidate starts; at most {MAX_CANDIDATES:,}"
            )
    if getattr(args, "caps", None) is not None:
        caps = [c.strip() for c in str(args.caps).split(",")]
        if len(caps) > MAX_CANDIDATES:
            raise ConfigError("--caps", f"{len(caps):,} caps; at most {MAX_CANDIDATES:,}")
        for cap in caps:
            try:
                watts = float(cap)
            except ValueError:
                raise ConfigError("--caps", f"must be comma-separated watts (got {show(cap)})") from None
            if not 0 < watts <= MAX_POWER_W:
                raise ConfigError(
                    "--caps", f"each cap must be > 0 and <= {MAX_POWER_W:g} W (got {show(cap)})"
                )
