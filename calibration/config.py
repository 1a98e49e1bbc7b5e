"""The shape of the bundled GPT, without torch (the fit and the CLI read it from points)."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from simcompute.catalog import ModelSpec


@dataclass(frozen=True)
class GPTConfig:
    """Shape of the decoder; `seq_len` is the longest sequence it accepts."""

    layers: int
    hidden: int
    heads: int
    seq_len: int
    vocab: int = 256

    def __post_init__(self) -> None:
        if self.hidden % self.heads:
            raise ValueError(f"hidden ({self.hidden}) must be divisible by heads ({self.heads})")

    def to_model_spec(self) -> ModelSpec:
        """The simulator's description of this model (same FLOPs and GEMM shapes)."""
        return ModelSpec(
            name=f"gpt-l{self.layers}-h{self.hidden}",
            layers=self.layers,
            hidden=self.hidden,
            heads=self.heads,
            vocab=self.vocab,
            ffn_hidden=4 * self.hidden,
            max_seq_len=self.seq_len,
        )

    def as_dict(self) -> dict[str, int]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> GPTConfig:
        return cls(**{k: int(data[k]) for k in ("layers", "hidden", "heads", "seq_len", "vocab")})
