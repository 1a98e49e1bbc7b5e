"""Scaling laws: the Chinchilla parametric loss, its compute-optimal allocation, and
data-constrained effective tokens.

    L(N, D) = E + A / N^alpha + B / D^beta                           (Hoffmann et al. 2022, Eq. 2)

Minimising L on the iso-FLOP curve C = 6 N D gives, in closed form (Hoffmann et al. 2022, Eq. 4),

    N_opt = G (C/6)^a,  D_opt = (C/6)^b / G,  G = (alpha A / (beta B))^(1/(alpha+beta)),
    a = beta / (alpha + beta),  b = alpha / (alpha + beta).

With `U` unique tokens and `D > U` tokens trained, repeated tokens are worth less: the effective
tokens are D' = U + U R* (1 - exp(-R / R*)), R = D/U - 1 repetitions (Muennighoff et al. 2023,
Eq. 5, with the fitted R*_D). Coefficients: `budget/data/scaling_laws.yaml`, each sourced.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import cache
from importlib import resources

import yaml

FLOPS_PER_PARAM_TOKEN = 6.0
"""Training FLOPs per parameter per token (forward 2 + backward 4; Kaplan et al. 2020, Sec. 2.1)."""


@dataclass(frozen=True)
class ScalingLaw:
    """Coefficients of L(N, D) = E + A/N^alpha + B/D^beta and where they come from."""

    E: float
    A: float
    B: float
    alpha: float
    beta: float
    source: str = "user"

    def loss(self, params: float, tokens: float) -> float:
        """Predicted final loss (nats/token) of `params` parameters trained on `tokens` tokens."""
        return self.E + self.A / params**self.alpha + self.B / tokens**self.beta

    @property
    def exponents(self) -> tuple[float, float]:
        """(a, b): N_opt grows as C^a, D_opt as C^b."""
        s = self.alpha + self.beta
        return self.beta / s, self.alpha / s

    def compute_optimal(self, flops: float) -> tuple[float, float]:
        """(N_opt, D_opt) minimising the loss at `flops` = 6 N D (closed form)."""
        a, b = self.exponents
        g = (self.alpha * self.A / (self.beta * self.B)) ** (1.0 / (self.alpha + self.beta))
        c = flops / FLOPS_PER_PARAM_TOKEN
        return g * c**a, c**b / g

    def tokens_for_loss(self, params: float, loss: float) -> float:
        """Tokens `params` parameters need to reach `loss` (inf when it cannot)."""
        gap = loss - self.E - self.A / params**self.alpha
        return (self.B / gap) ** (1.0 / self.beta) if gap > 0 else math.inf


def effective_tokens(tokens: float, unique_tokens: float | None) -> float:
    """Tokens worth of fresh data: `tokens` itself up to `unique_tokens`, beyond it the
    Muennighoff et al. 2023 decay of repeated epochs."""
    if unique_tokens is None or tokens <= unique_tokens:
        return tokens
    r_star = _data()["data_constrained"]["repeat_half_life_tokens"]["value"]
    repeats = tokens / unique_tokens - 1.0
    return unique_tokens + unique_tokens * r_star * (1.0 - math.exp(-repeats / r_star))


def tokens_for_effective(effective: float, unique_tokens: float | None) -> float:
    """Inverse of `effective_tokens` (inf when the repeated data can never give `effective`)."""
    if unique_tokens is None or effective <= unique_tokens:
        return effective
    r_star = _data()["data_constrained"]["repeat_half_life_tokens"]["value"]
    left = 1.0 - (effective / unique_tokens - 1.0) / r_star
    return unique_tokens * (1.0 - r_star * math.log(left)) if left > 0 else math.inf


@cache
def _data() -> dict:
    text = resources.files("simcompute.budget").joinpath("data/scaling_laws.yaml").read_text()
    return yaml.safe_load(text)


LAW_NAMES = ("besiroglu2024", "hoffmann2022")


def scaling_law(name: str) -> ScalingLaw:
    """A bundled scaling law by name (`besiroglu2024`, `hoffmann2022`)."""
    laws = _data()["laws"]
    if name not in laws:
        raise ValueError(f"unknown scaling law '{name}' (have: {', '.join(sorted(laws))})")
    c = laws[name]
    return ScalingLaw(
        **{k: float(c[k]["value"]) for k in ("E", "A", "B", "alpha", "beta")}, source=c["E"]["source"]
    )
