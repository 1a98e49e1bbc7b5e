"""Building blocks shared by every scenario section: a strict base model and parsed field types."""

from __future__ import annotations

import difflib
from typing import Annotated, Any, get_args

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from simcompute.errors import show
from simcompute.units import parse_count, parse_duration

# Physical ranges of scenario numbers. Each is far beyond any real system, so it only refuses
# input that is a mistake (a unit typo, an extra digit) or that no simulation could finish.
MAX_DURATION_S = 100 * 365 * 86400.0
"""100 years: horizons, submit times, durations, checkpoint intervals, repair times."""
MAX_GPUS = 10_000_000
"""GPUs of one job or cluster (the largest clusters of 2025 have ~200,000)."""
MAX_NODES = 1_000_000
MAX_TOKENS = 1e16
"""Training tokens (the largest published runs use 1.5e13)."""
MAX_BATCH_TOKENS = 1e12
MAX_SEQ_LEN_TOKENS = 100_000_000
MAX_POWER_W = 10_000.0
"""Power of one GPU (or per busy GPU, with host and network): B200 is 1,000 W."""
MAX_PRICE_USD_PER_KWH = 10.0
MAX_GPU_HOUR_USD = 1_000.0
MAX_CARBON_G_PER_KWH = 2_000.0
"""Lignite is about 1,100 g/kWh; nothing on a grid is above 2,000."""
MAX_WATER_L_PER_KWH = 1_000.0
MAX_RATE_PER_S = 1e7
"""Requests per second of one service."""
MAX_REQUEST_TOKENS = 100_000_000
"""Prompt or output tokens of one request."""
MAX_PARALLEL_DEGREE = 1_000_000
MAX_LIFETIME_YEARS = 50.0
MAX_USD = 1e12
MAX_PRIORITY = 1_000_000_000
MAX_SEED = 2**63 - 1
MAX_NAME_CHARS = 200


def _printable(text: str) -> str:
    if not text.isprintable():
        raise ValueError(f"must be printable text without control characters (got {show(text)})")
    return text


Name = Annotated[str, Field(min_length=1, max_length=MAX_NAME_CHARS), AfterValidator(_printable)]
"""A workload name: it labels rows of every output table, so it is one printable line."""

Duration = Annotated[float, BeforeValidator(parse_duration)]
"""Seconds; accepts numbers or strings such as `90s`, `6h`, `30d`."""

Count = Annotated[float, BeforeValidator(parse_count)]
"""A count; accepts numbers or strings such as `2e12`, `300B`, `4M`."""


def did_you_mean(word: str, choices: list[str]) -> str:
    """` (did you mean 'x'?)` for the closest choice, or the list of valid choices."""
    close = difflib.get_close_matches(word[:100], choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; valid keys: {', '.join(sorted(choices))}"


class Strict(BaseModel):
    """Frozen model that rejects unknown keys with a did-you-mean hint."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True, allow_inf_nan=False)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(cls.model_fields)
            known |= {f.alias for f in cls.model_fields.values() if f.alias}
            for key in data:
                if key not in known:
                    raise ValueError(f"unknown key {show(key)}{did_you_mean(str(key), sorted(known))}")
            for name, info in cls.model_fields.items():
                value = data.get(name)
                if isinstance(value, bool) and _numeric(info.annotation):
                    raise field_error(name, f"must be a number, not {str(value).lower()}")
        return data


def _numeric(annotation: Any) -> bool:
    """Whether a field takes numbers and not booleans (pydantic would read true as 1)."""
    if annotation in (int, float):
        return True
    args = get_args(annotation)
    return bool(args) and bool not in args and any(a in (int, float) for a in args)


FIELD_MARK = "@"


def field_error(subpath: str, message: str) -> ValueError:
    """A validator error that points below the model being validated (`parallelism.tp`).

    Pydantic places a model validator's error at the model itself; the loader moves it to
    `subpath` so the user sees the field that is wrong.
    """
    return ValueError(f"{FIELD_MARK}{subpath}{FIELD_MARK} {message}")
