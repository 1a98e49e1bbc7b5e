"""Building blocks shared by every scenario section: a strict base model and parsed field types."""

from __future__ import annotations

import difflib
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, model_validator

from simcompute.units import parse_count, parse_duration

Duration = Annotated[float, BeforeValidator(parse_duration)]
"""Seconds; accepts numbers or strings such as `90s`, `6h`, `30d`."""

Count = Annotated[float, BeforeValidator(parse_count)]
"""A count; accepts numbers or strings such as `2e12`, `300B`, `4M`."""


def did_you_mean(word: str, choices: list[str]) -> str:
    """` (did you mean 'x'?)` for the closest choice, or the list of valid choices."""
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    if close:
        return f"; did you mean '{close[0]}'?"
    return f"; valid keys: {', '.join(sorted(choices))}"


class Strict(BaseModel):
    """Frozen model that rejects unknown keys with a did-you-mean hint."""

    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _reject_unknown_keys(cls, data: Any) -> Any:
        if isinstance(data, dict):
            known = set(cls.model_fields)
            known |= {f.alias for f in cls.model_fields.values() if f.alias}
            for key in data:
                if key not in known:
                    raise ValueError(f"unknown key '{key}'{did_you_mean(str(key), sorted(known))}")
        return data


FIELD_MARK = "@"


def field_error(subpath: str, message: str) -> ValueError:
    """A validator error that points below the model being validated (`parallelism.tp`).

    Pydantic places a model validator's error at the model itself; the loader moves it to
    `subpath` so the user sees the field that is wrong.
    """
    return ValueError(f"{FIELD_MARK}{subpath}{FIELD_MARK} {message}")
