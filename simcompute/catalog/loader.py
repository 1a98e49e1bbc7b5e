"""Load the bundled YAML catalog into frozen records.

Data files write every hardware/facility number as ``{value: X, source: "..."}``; the loader
unwraps them to plain numbers and keeps the citations in each record's ``sources`` mapping
(nested keys are dotted, e.g. ``peak_tflops.bf16``). Model presets may instead carry one
``source`` for the whole entry.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, Union

import yaml
from pydantic import ValidationError

from .engines import Engine
from .errors import CatalogError, unknown_id_error
from .hardware import Accelerator, Fabric, Generation, Node
from .models import ModelSpec
from .sites import Region

if TYPE_CHECKING:
    import pandas as pd

SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)
"""libyaml's safe loader where PyYAML was built with it (~10x faster on the catalog), else PyYAML's."""

KINDS: tuple[str, ...] = ("accelerators", "generations", "nodes", "fabrics", "models", "regions", "engines")

_RECORD_TYPES: dict[str, type] = {
    "accelerators": Accelerator,
    "generations": Generation,
    "nodes": Node,
    "fabrics": Fabric,
    "models": ModelSpec,
    "regions": Region,
    "engines": Engine,
}

# Numbers allowed without their own {value, source} wrapper.
_BARE_NUMBER_OK = {"year"}

DATA_PACKAGE = "simcompute.catalog.data"


def is_sourced(node: Any) -> bool:
    """True for a ``{value: number, source: str}`` leaf."""
    return isinstance(node, dict) and set(node) == {"value", "source"}


def _unwrap(
    entry: Mapping[str, Any], where: str, allow_bare_numbers: bool
) -> tuple[dict[str, Any], dict[str, str]]:
    """Return (plain values, sources) for one entry; nested mappings keep their shape."""
    values: dict[str, Any] = {}
    sources: dict[str, str] = {}

    def walk(node: Any, path: str) -> Any:
        if is_sourced(node):
            v, src = node["value"], node["source"]
            if v is None and isinstance(src, str) and src.strip().lower().startswith("unknown"):
                sources[path] = src.strip()  # an explicit unknown, with the reason
                return None
            if isinstance(v, bool) or not isinstance(v, (int, float)):
                raise CatalogError(f"{where}.{path}: value must be a number, got {v!r}")
            if not isinstance(src, str) or not src.strip():
                raise CatalogError(f"{where}.{path}: source must be a non-empty string")
            sources[path] = src.strip()
            return v
        if isinstance(node, dict):
            return {k: walk(v, f"{path}.{k}") for k, v in node.items()}
        if (
            isinstance(node, (int, float))
            and not isinstance(node, bool)
            and not allow_bare_numbers
            and path.split(".")[-1] not in _BARE_NUMBER_OK
        ):
            raise CatalogError(
                f"{where}.{path}: number {node!r} has no source; write {{value: ..., source: ...}}"
            )
        return node

    for key, val in entry.items():
        values[key] = walk(val, key)
    return values, sources


def _read_yaml(read_text: Callable[[str], str], kind: str) -> dict[str, Any]:
    fname = f"{kind}.yaml"
    try:
        text = read_text(fname)
    except FileNotFoundError as exc:
        raise CatalogError(f"catalog data file {fname} is missing") from exc
    raw = yaml.load(text, Loader=SAFE_LOADER) or {}
    if not isinstance(raw, dict) or not isinstance(raw.get(kind), dict):
        raise CatalogError(f"{fname}: expected a top-level mapping '{kind}: {{id: entry}}'")
    return raw[kind]


def read_raw(kind: str, data_dir: Union[str, Path] | None = None) -> dict[str, Any]:
    """The raw YAML mapping id -> entry for one kind (used by tests and tooling)."""
    return _read_yaml(_reader(data_dir), kind)


def _reader(data_dir: Union[str, Path] | None) -> Callable[[str], str]:
    if data_dir is None:
        root = resources.files(DATA_PACKAGE)
        return lambda name: root.joinpath(name).read_text(encoding="utf-8")
    base = Path(data_dir)
    return lambda name: (base / name).read_text(encoding="utf-8")


def _build(kind: str, raw: Mapping[str, Any]) -> dict[str, Any]:
    cls = _RECORD_TYPES[kind]
    out: dict[str, Any] = {}
    for key, entry in raw.items():
        where = f"{kind}.{key}"
        if not isinstance(entry, dict):
            raise CatalogError(f"{where}: entry must be a mapping")
        values, sources = _unwrap(entry, where, allow_bare_numbers=(kind == "models"))
        try:
            if kind == "models":
                if sources:
                    # per-field citations fold into the entry-level source text
                    extra = "; ".join(f"{k}: {v}" for k, v in sources.items())
                    values["source"] = "; ".join(x for x in (values.get("source"), extra) if x)
                out[key] = cls(**values)
            else:
                out[key] = cls(id=key, sources=sources, **values)
        except ValidationError as exc:
            raise CatalogError(f"{where}: {exc}") from exc
    return out


class Catalog:
    """Immutable view of the hardware catalog, model presets, grid regions and serving engines."""

    __slots__ = ("_data",)

    def __init__(self, data: Mapping[str, Mapping[str, Any]]):
        frozen = {k: MappingProxyType(dict(data.get(k, {}))) for k in KINDS}
        object.__setattr__(self, "_data", MappingProxyType(frozen))
        self._check_references()

    def __setattr__(self, name: str, value: Any) -> None:  # pragma: no cover - trivial
        raise AttributeError("Catalog is immutable")

    @classmethod
    def from_directory(cls, data_dir: Union[str, Path] | None = None) -> Catalog:
        read = _reader(data_dir)
        return cls({kind: _build(kind, _read_yaml(read, kind)) for kind in KINDS})

    def _check_references(self) -> None:
        gens = self._data["generations"]
        for acc in self._data["accelerators"].values():
            if acc.generation not in gens:
                raise unknown_id_error("generations", acc.generation, gens) from None
        accs = self._data["accelerators"]
        for node in self._data["nodes"].values():
            if node.gpu not in accs:
                raise CatalogError(
                    f"node {node.id!r}: " + str(unknown_id_error("accelerators", node.gpu, accs))
                )

    # ---- lookups ---------------------------------------------------------------------
    def _get(self, kind: str, key: str) -> Any:
        table = self._data[kind]
        try:
            return table[key]
        except (KeyError, TypeError):
            raise unknown_id_error(kind, key, table) from None

    def accelerator(self, key: str) -> Accelerator:
        return self._get("accelerators", key)

    def node(self, key: str) -> Node:
        return self._get("nodes", key)

    def fabric(self, key: str) -> Fabric:
        return self._get("fabrics", key)

    def model(self, key: str) -> ModelSpec:
        return self._get("models", key)

    def region(self, key: str) -> Region:
        return self._get("regions", key)

    def generation(self, key: str) -> Generation:
        return self._get("generations", key)

    def engine(self, key: str) -> Engine:
        return self._get("engines", key)

    def node_accelerator(self, node_id: str) -> Accelerator:
        """The accelerator a node carries."""
        return self.accelerator(self.node(node_id).gpu)

    def _check_kind(self, kind: str) -> None:
        if kind not in KINDS:
            raise CatalogError(f"unknown catalog kind {kind!r}; use one of {', '.join(KINDS)}")

    def ids(self, kind: str) -> list[str]:
        self._check_kind(kind)
        return list(self._data[kind])

    def items(self, kind: str) -> Mapping[str, Any]:
        self._check_kind(kind)
        return self._data[kind]

    def table(self, kind: str) -> pd.DataFrame:
        """One row per entry; nested mappings flattened (peak_tflops -> peak_tflops_bf16)."""
        import pandas as pd

        self._check_kind(kind)
        rows = []
        for key, rec in self._data[kind].items():
            row: dict[str, Any] = {"id": key}
            dumped = rec.model_dump(exclude={"sources", "id"})
            for field, val in dumped.items():
                if isinstance(val, Mapping):
                    for sub, subval in val.items():
                        row[f"{field}_{sub}"] = subval
                else:
                    row[field] = val
            if kind == "models":
                row["ffn_hidden"] = rec.ffn_hidden_eff
                row["kv_heads"] = rec.kv_heads_eff
                row["derived_params"] = rec.derived_params
            if kind == "fabrics":
                row["switch_power_w_per_node"] = rec.switch_power_w_per_node
            rows.append(row)
        return pd.DataFrame(rows)


@functools.lru_cache(maxsize=1)
def load_catalog() -> Catalog:
    """The bundled catalog (parsed once, then cached; the Catalog is immutable)."""
    return Catalog.from_directory(None)
