"""Property-based fuzzing of `simcompute run`: any input ends in a one-line error or sane results.

Mutations of the bundled scenarios (see `mutate.py`) go through the CLI entry point in-process
with a 20 s limit each. Allowed outcomes: exit 2 with one printable line of at most 200
characters naming the file, or exit 0 with finite, non-negative totals that the rows add up
to. Deterministic (derandomized); `bench/bench_fuzz.py` runs a longer, seeded campaign.
"""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.fuzz.mutate import (
    RAW,
    VALUE_POOLS,
    WHOLE_FILES,
    base_scenarios,
    field_paths,
    mutate,
    run_case,
    trace_cases,
    whole_file,
)

TIMEOUT_S = 20.0
BASES = base_scenarios()
# Valid mutations simulate; these bases do so in well under a second.
FAST_BASES = ("quickstart", "llama2-7b-serving", "shared-cluster", "train-and-serve")
PATHS = {name: list(field_paths(BASES[name])) for name in FAST_BASES}

_SCALARS = st.one_of(
    st.integers(min_value=-(2**80), max_value=2**80),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=30),
    st.booleans(),
    st.none(),
)
VALUES = st.one_of(
    st.sampled_from([v for pool in VALUE_POOLS.values() for v in pool]),
    _SCALARS,
    st.lists(_SCALARS, max_size=4),
    st.dictionaries(st.text(max_size=8), _SCALARS, max_size=3),
)


@st.composite
def cases(draw: st.DrawFn):
    base = draw(st.sampled_from(FAST_BASES))
    path = draw(st.sampled_from(PATHS[base]))
    op = draw(st.sampled_from(["set", "set", "set", "set", "delete", "flip", "unknown_key", "wrap", "scale"]))
    value = draw(VALUES) if op == "set" else draw(st.sampled_from([-9, -6, -3, 2, 3, 6, 9]))
    return mutate(base, BASES[base], path, op, value)


def _check(case, tmp_path) -> None:
    outcome = run_case(case, TIMEOUT_S, workdir=tmp_path)
    assert outcome.verdict in ("ok", "error"), f"{outcome.verdict}: {case.label}: {outcome.detail}"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    return tmp_path_factory.mktemp("fuzz")


@settings(
    max_examples=300,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
        HealthCheck.function_scoped_fixture,
    ],
)
@given(case=cases())
def test_mutated_scenarios_fail_cleanly_or_run_sanely(case, workdir):
    _check(case, workdir)


@pytest.mark.parametrize("name", sorted(WHOLE_FILES))
def test_hostile_files_give_one_line_errors(name, workdir):
    outcome = run_case(whole_file(name), TIMEOUT_S, workdir=workdir)
    assert outcome.verdict == "error", f"{outcome.verdict}: {outcome.detail}"
    assert outcome.seconds < 5, f"{name} took {outcome.seconds:.1f} s"


@pytest.mark.parametrize("case", trace_cases(BASES), ids=lambda c: c.label)
def test_hostile_traces_give_one_line_errors_or_run(case, workdir):
    outcome = run_case(case, TIMEOUT_S, workdir=workdir)
    assert outcome.verdict in ("ok", "error"), f"{outcome.verdict}: {outcome.detail}"


@pytest.mark.parametrize("raw", sorted(RAW))
@pytest.mark.parametrize(
    "path", [("workloads", 0, "tokens"), ("site", "start"), ("cluster", "nodes"), ("seed",), ("site", "pue")]
)
def test_raw_values_at_fields(raw, path, workdir):
    """Deep nesting, alias bombs, 5,000-digit numbers, dates with offsets, at several fields."""
    outcome = run_case(
        mutate("quickstart", BASES["quickstart"], path, "set", raw), TIMEOUT_S, workdir=workdir
    )
    assert outcome.verdict in ("ok", "error"), f"{outcome.verdict}: {outcome.detail}"
