"""Errors a user can cause. The CLI prints these in one line and exits with code 2."""

from __future__ import annotations

MAX_LINE_CHARS = 200
"""The CLI prints an error as one line of at most this many characters (`error_line`)."""
MAX_MESSAGE_CHARS = 1_000
"""An exception's own text: one line, cut only when absurdly long."""

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


def error_line(exc: BaseException, prefix: str = "simcompute: error: ") -> str:
    """`exc` as the CLI prints it: one line of at most `MAX_LINE_CHARS`.

    When the whole line does not fit, a `ConfigError` names its file by the file name
    alone (not its folders), so the field and the problem stay readable.
    """
    line = prefix + one_line(str(exc))
    if len(line) > MAX_LINE_CHARS and isinstance(exc, ConfigError) and exc.source:
        name = exc.source.replace(chr(92), "/").rstrip("/").rsplit("/", 1)[-1]
        short = ConfigError(exc.path, exc.message, f".../{name}" if name != exc.source else name)
        line = prefix + one_line(str(short))
    return one_line(line, MAX_LINE_CHARS)


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
        where = f"{source}: " if source else ""
        super().__init__(f"{where}{path}: {message}" if path else f"{where}{message}")

    def with_source(self, source: str | None) -> ConfigError:
        """The same error naming `source`, unless it already names a file."""
        if self.source is not None or not source:
            return self
        return ConfigError(self.path, self.message, source)
