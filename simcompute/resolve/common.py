"""Shared helpers of the resolve stage: catalog lookups that fail with the YAML path."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from simcompute.catalog import Catalog, CatalogError, ModelSpec
from simcompute.errors import ConfigError, show

T = TypeVar("T")


def lookup(path: str, fn: Callable[[str], T], key: str) -> T:
    """`fn(key)`, with a catalog miss turned into a `ConfigError` at `path`."""
    try:
        return fn(key)
    except CatalogError as exc:
        raise ConfigError(path, str(exc).replace(repr(key), show(key))) from None


def resolve_model(path: str, model: str | ModelSpec, catalog: Catalog) -> ModelSpec:
    """A preset name looked up in the catalog, or an inline `ModelSpec` as given."""
    if isinstance(model, ModelSpec):
        return model
    return lookup(path, catalog.model, model)
