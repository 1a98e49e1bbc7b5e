"""Sweeps: which configurations to measure, and running them with progress and resume.

A sweep spans small to large GEMMs (hidden sizes, tokens per step, sequence lengths) so the
fit can separate the size-dependent GEMM efficiency from fixed and memory-bound costs. Its
`holdout` configurations are larger (up to ~4x the FLOPs per step of the largest fitted one)
and are measured only for `--holdout`. Each finished point is appended to a JSONL file at
once, so an interrupted sweep keeps its points and `--resume` measures only the missing ones.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from calibration.config import GPTConfig
from calibration.inference import InferenceConfig
from calibration.trainer import RunConfig
from simcompute.errors import SimcomputeError


class CalibrationError(SimcomputeError):
    """A calibration option or file that cannot be used (printed in one line by the CLI)."""


@dataclass(frozen=True)
class Sweep:
    name: str
    train: tuple[RunConfig, ...]
    holdout: tuple[RunConfig, ...] = ()
    inference: tuple[InferenceConfig, ...] = ()
    notes: str = ""

    def with_window(
        self, warmup_steps: int | None, min_steps: int | None, min_seconds: float | None
    ) -> Sweep:
        """The same sweep with another measurement window (CLI overrides)."""
        changes: dict[str, Any] = {}
        if warmup_steps is not None:
            changes["warmup_steps"] = warmup_steps
        if min_steps is not None:
            changes["min_steps"] = min_steps
        if min_seconds is not None:
            changes["min_seconds"] = min_seconds
        inf = {"min_seconds": min_seconds} if min_seconds is not None else {}
        return replace(
            self,
            train=tuple(replace(c, **changes) for c in self.train),
            holdout=tuple(replace(c, **changes) for c in self.holdout),
            inference=tuple(replace(c, **inf) for c in self.inference),
        )

    def with_options(self, dtype: str | None, compile_model: bool) -> Sweep:
        d = {"dtype": dtype} if dtype else {}
        return replace(
            self,
            train=tuple(replace(c, compile=compile_model, **d) for c in self.train),
            holdout=tuple(replace(c, compile=compile_model, **d) for c in self.holdout),
            inference=tuple(replace(c, **d) for c in self.inference),
        )


def _train(
    shapes: list[tuple[int, int, int, int, int]], vocab: int, dtype: str, **window: Any
) -> tuple[RunConfig, ...]:
    """RunConfigs from (layers, hidden, heads, seq_len, batch) tuples."""
    return tuple(
        RunConfig(GPTConfig(n, h, a, t, vocab), batch=b, dtype=dtype, **window) for n, h, a, t, b in shapes
    )


# CPU (default): ~110 s on 2 shared cores. Fitted GEMMs span 13 MFLOP..2.1 GFLOP, 0.45..24 GFLOP
# per step; held-out points are 2x and 3.5x the largest fitted one in FLOPs per step. A CPU's
# matmul rate peaks once operands fill its caches and falls beyond (we measured ~70 GFLOP/s at
# hidden 256-384 and ~50 at 512 on one EPYC core), which a saturating GPU-style curve cannot
# extrapolate; so the fit includes one single-layer point with the held-out runs' largest GEMM
# shapes (hidden 512, 1,024 tokens), and the held-out runs test the step model's composition
# (more layers, more FLOPs per step), not GEMM shapes it has never seen.
CPU_WINDOW = {"warmup_steps": 2, "min_steps": 5, "min_seconds": 5.0}
_CPU_FIT = [(2, 64, 4, 128, 4), (2, 64, 4, 256, 8), (2, 128, 4, 128, 8), (2, 128, 4, 256, 4),
            (4, 128, 4, 128, 16), (2, 256, 4, 128, 4), (2, 256, 8, 256, 4), (4, 192, 6, 128, 8),
            (4, 256, 8, 128, 8), (2, 384, 6, 128, 8), (1, 512, 8, 128, 8)]  # fmt: skip
_CPU_HOLDOUT = [(4, 384, 6, 128, 8), (4, 512, 8, 128, 8)]
_CPU_INFER_MODEL = GPTConfig(4, 256, 8, 512, 256)

# GPU (H100/H200 class, bf16): ~5-6 min. Fitted GEMMs span ~0.5 GFLOP..0.9 TFLOP; held-out
# points are ~2x and ~4x the largest fitted one in FLOPs per step.
GPU_WINDOW = {"warmup_steps": 5, "min_steps": 20, "min_seconds": 5.0}
_GPU_FIT = [(4, 512, 8, 1024, 8), (4, 768, 12, 1024, 16), (4, 1024, 16, 1024, 8), (4, 1024, 16, 2048, 8),
            (8, 1024, 16, 1024, 16), (4, 1536, 12, 1024, 8), (4, 2048, 16, 1024, 4), (4, 2048, 16, 2048, 8),
            (8, 2048, 16, 1024, 8), (4, 3072, 24, 1024, 8)]  # fmt: skip
_GPU_HOLDOUT = [(8, 3072, 24, 1024, 8), (8, 4096, 32, 1024, 8)]
_GPU_INFER_MODEL = GPTConfig(8, 2048, 16, 4096, 32000)

TINY_WINDOW = {"warmup_steps": 1, "min_steps": 3, "min_seconds": 0.0}
_TINY_FIT = [(1, 32, 2, 32, 2), (1, 32, 2, 64, 4), (2, 64, 4, 32, 4), (1, 64, 4, 64, 2), (2, 32, 2, 64, 2),
             (2, 64, 4, 64, 4), (1, 96, 4, 32, 4)]  # fmt: skip

SWEEPS: dict[str, Callable[[], Sweep]] = {
    "tiny": lambda: Sweep(
        "tiny",
        train=_train(_TINY_FIT, 256, "fp32", **TINY_WINDOW),
        holdout=_train([(2, 96, 4, 64, 4)], 256, "fp32", **TINY_WINDOW),
        inference=(
            InferenceConfig(GPTConfig(1, 32, 2, 64, 256), 2, 16, decode_steps=4, repeats=2, min_seconds=0.0),
        ),
        notes="for tests: seconds, not meaningful numbers",
    ),
    "cpu": lambda: Sweep(
        "cpu",
        train=_train(_CPU_FIT, 256, "fp32", **CPU_WINDOW),
        holdout=_train(_CPU_HOLDOUT, 256, "fp32", **CPU_WINDOW),
        inference=tuple(
            InferenceConfig(_CPU_INFER_MODEL, b, c, decode_steps=8, repeats=3, min_seconds=1.0)
            for b, c in [(1, 128), (8, 128), (1, 448), (8, 448)]
        ),
        notes="default small CPU sweep (fp32)",
    ),
    "gpu": lambda: Sweep(
        "gpu",
        train=_train(_GPU_FIT, 32000, "bf16", **GPU_WINDOW),
        holdout=_train(_GPU_HOLDOUT, 32000, "bf16", **GPU_WINDOW),
        inference=tuple(
            InferenceConfig(_GPU_INFER_MODEL, b, c, dtype="bf16", decode_steps=32, repeats=5, min_seconds=3.0)
            for b, c in [(1, 512), (16, 512), (64, 512), (1, 3072), (16, 3072)]
        ),
        notes="H100/H200-class sweep (bf16), sized for < 8 minutes",
    ),
}


@dataclass
class PointsFile:
    """Append-only JSONL of measured points; the first record holds the reference measurements."""

    path: Path
    records: list[dict[str, Any]] = field(default_factory=list)
    write: bool = True  # False on non-main torchrun ranks

    @classmethod
    def open(cls, path: Path, *, resume: bool, force: bool, write: bool = True) -> PointsFile:
        if not write:  # a non-main rank: same records, never touches the file
            return cls(path, cls.read(path) if resume and path.exists() else [], write=False)
        if path.exists() and path.stat().st_size > 0:
            if resume:
                return cls(path, cls.read(path))
            if not force:
                raise CalibrationError(
                    f"{path} already holds points; use --resume to continue that sweep or --force to start over"
                )
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("")
        return cls(path)

    @staticmethod
    def read(path: Path) -> list[dict[str, Any]]:
        records = []
        for n, line in enumerate(path.read_text().splitlines(), start=1):
            if not line.strip():
                continue
            try:
                records.append(json.loads(line))
            except json.JSONDecodeError:
                if n == len(path.read_text().splitlines()):  # a half-written last line: interrupted
                    break
                raise CalibrationError(f"{path}:{n}: not a JSON record") from None
        return records

    def append(self, record: dict[str, Any]) -> None:
        self.records.append(record)
        if not self.write:
            return
        with self.path.open("a") as fh:
            fh.write(json.dumps(record) + "\n")
            fh.flush()

    def keys(self) -> set[str]:
        return {r["key"] for r in self.records if "key" in r}

    def of_kind(self, kind: str) -> list[dict[str, Any]]:
        return [r for r in self.records if r.get("kind") == kind]
