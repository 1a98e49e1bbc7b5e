"""Number formats per part of a served model: weights, activations (the GEMMs' compute), KV cache.

Weights decide the bytes a decode step streams and the memory they hold; activations decide
the tensor-core peak the GEMMs run at; the KV cache's format decides its capacity and the
bytes attention reads. Quantised weights carry their scales: int4 (AWQ/GPTQ, group size 128)
one fp16 scale and one zero point per 128 weights, fp4 (NVFP4) one fp8 scale per 16 values.
"""

from __future__ import annotations

from typing import Literal

from .errors import CatalogError
from .hardware import Accelerator

WeightPrecision = Literal["bf16", "fp16", "fp8", "int8", "int4", "fp4"]
ActivationPrecision = Literal["auto", "bf16", "fp16", "fp8", "int8", "fp4"]
KvCacheDtype = Literal["auto", "bf16", "fp16", "fp8", "int8"]

WEIGHT_BYTES: dict[str, float] = {
    "bf16": 2.0,
    "fp16": 2.0,
    "fp8": 1.0,  # per-tensor/per-channel scales: negligible
    "int8": 1.0,
    "int4": 0.5 + 4.0 / 128,  # AWQ (Lin et al. 2023, arXiv:2306.00978): fp16 scale + zero per group of 128
    "fp4": 0.5 + 1.0 / 16,  # NVFP4: an fp8 (E4M3) scale per 16 values (NVIDIA Blackwell NVFP4 format)
}
"""Bytes per weight, scales included."""

LOW_PRECISION_COMPUTE = ("fp8", "fp4")
"""Tensor-core formats whose sustained GEMM efficiency is the generation's 16-bit one times its
`low_precision_gemm_ratio` (catalog generations.yaml): at the power limit an 8-bit matmul holds a
lower clock than a 16-bit one."""

KV_BYTES: dict[str, float] = {"bf16": 2.0, "fp16": 2.0, "fp8": 1.0, "int8": 1.0}
"""Bytes per KV-cache element (per-tensor scales negligible)."""

COMPUTE_PRECISION: dict[str, str] = {
    "bf16": "bf16",
    "fp16": "fp16",
    "fp8": "fp8",  # W8A8 FP8 (ModelOpt / llm-compressor FP8 checkpoints)
    "int8": "int8",  # W8A8 SmoothQuant (Xiao et al. 2023, arXiv:2211.10438)
    "int4": "fp16",  # weight-only W4A16: dequantised in the GEMM, computed in 16 bits
    "fp4": "fp4",  # W4A4 NVFP4 on Blackwell tensor cores
}
"""The tensor-core format the GEMMs of a model with these weights run in."""


def compute_precision(weights: str, activations: str, accelerator: Accelerator) -> str:
    """The GEMMs' format: `activations`, or for `auto` the one that goes with the weights
    (int4 is weight-only: bf16 where the GPU has it, else fp16).

    Raises `CatalogError` when the GPU has no tensor-core peak in that format (fp4 before
    Blackwell, fp8 before Ada/Hopper, bf16 before Ampere).
    """
    fmt = COMPUTE_PRECISION[weights] if activations == "auto" else activations
    if weights == "int4" and activations == "auto" and "bf16" in accelerator.peak_tflops:
        fmt = "bf16"
    if fmt not in accelerator.peak_tflops:
        have = ", ".join(k for k in accelerator.peak_tflops if k in COMPUTE_PRECISION.values())
        raise CatalogError(
            f"{accelerator.id} ({accelerator.generation}) has no {fmt} tensor cores "
            f"for {weights} weights (has: {have})"
        )
    return fmt


def kv_cache_dtype(requested: str, weights: str, quantized_default: str) -> str:
    """The KV-cache format: `requested`, or for `auto` the engine's default for these weights
    (`quantized_default` for fp8/fp4 weights, else the 16-bit format of the model)."""
    if requested != "auto":
        return requested
    if weights in ("fp8", "fp4"):
        return quantized_default
    return "fp16" if weights == "fp16" else "bf16"
