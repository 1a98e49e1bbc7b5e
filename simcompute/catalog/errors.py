"""Catalog error type and the 'closest ids' helper."""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class CatalogError(ValueError):
    """Raised for unknown catalog ids, malformed data files and unsupported lookups."""


_KIND_SINGULAR = {
    "accelerators": "accelerator",
    "nodes": "node",
    "fabrics": "fabric",
    "models": "model",
    "regions": "region",
    "generations": "generation",
}


def singular(kind: str) -> str:
    return _KIND_SINGULAR.get(kind, kind)


def unknown_id_error(kind: str, key: object, known: Iterable[str]) -> CatalogError:
    """Build the error for an unknown id, naming the closest known ids."""
    known = sorted(known)
    needle = str(key).lower()
    # ids that contain the request (e.g. 'a100' -> a100-80gb) rank first, by similarity
    contains = sorted(
        (k for k in known if needle and needle in k),
        key=lambda k: (-difflib.SequenceMatcher(None, needle, k).ratio(), k),
    )
    fuzzy = difflib.get_close_matches(needle, known, n=3, cutoff=0.5)
    close = list(dict.fromkeys(contains + fuzzy))[:3]
    hint = "closest: " + ", ".join(close) if close else "known: " + ", ".join(known)
    return CatalogError(f"unknown {singular(kind)} {key!r}; {hint}")
