"""Errors a user can cause. The CLI prints these in one line and exits with code 2."""

from __future__ import annotations

MAX_MESSAGE_CHARS = 180
"""An error line stays readable: `simcompute: error: ` plus this fits in 200 characters."""

MAX_SHOWN_CHARS = 40
"""A value quoted in an error is cut to this length (a 5,000-character value is not echoed)."""


def one_line(text: str, limit: int = MAX_MESSAGE_CHARS) -> str:
    """`text` on one printable line of at most `limit` characters (control characters escaped)."""
    out = []
    for ch in " ".join(str(text).split()):
        out.append(ch if ch.isprintable() else ascii(ch)[1:-1])
    line = "".join(out)
    return line if len(line) <= limit else line[: limit - 3] + "..."


def show(value: object, limit: int = MAX_SHOWN_CHARS) -> str:
    """A value as an error quotes it: repr, non-printable characters escaped, long ones cut."""
    if isinstance(value, (dict, list, tuple, set)):
        return f"a {type(value).__name__}"
    text = repr(value)
    if isinstance(value, str):
        text = ascii(value) if not value.isprintable() else text
    return text if len(text) <= limit else f"{text[: limit - 3]}... ({len(str(value)):,} characters)"


class SimcomputeError(Exception):
    """Base class for every error caused by user input (scenario, files, options)."""

    def __str__(self) -> str:
        return one_line(super().__str__())


class ConfigError(SimcomputeError, ValueError):
    """A scenario field is missing, malformed or inconsistent.

    `path` is the YAML path of the field (`workloads[1].arrivals.rate_per_s`); the message
    says what is wrong with it; `source` is the file it came from, when there is one.
    """

    def __init__(self, path: str, message: str, source: str | None = None):
        self.path = path
        self.message = message
        self.source = source
        body = f"{path}: {message}" if path else message
        where = f"{source}: " if source else ""
        if source and len(where) + len(body) > MAX_MESSAGE_CHARS and len(source) > 40:
            where = (
                f".../{source.replace(chr(92), '/').rsplit('/', 1)[-1]}: "  # keep the message, not the folder
            )
        super().__init__(f"{where}{body}")

    def with_source(self, source: str | None) -> ConfigError:
        """The same error naming `source`, unless it already names a file."""
        if self.source is not None or not source:
            return self
        return ConfigError(self.path, self.message, source)
