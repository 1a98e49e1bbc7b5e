"""Errors a user can cause. The CLI prints these in one line and exits with code 2."""

from __future__ import annotations


class SimcomputeError(Exception):
    """Base class for every error caused by user input (scenario, files, options)."""


class ConfigError(SimcomputeError, ValueError):
    """A scenario field is missing, malformed or inconsistent.

    `path` is the YAML path of the field (`workloads[1].arrivals.rate_per_s`); the message
    says what is wrong with it.
    """

    def __init__(self, path: str, message: str, source: str | None = None):
        self.path = path
        self.message = message
        self.source = source
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{path}: {message}" if path else f"{where}{message}")
