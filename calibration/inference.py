"""Inference timing: prefill and decode steps with a KV cache, for several batches and contexts.

Prefill runs `batch x context` tokens through the model into an empty cache (compute-bound);
decode then adds one token per sequence per step, attending to the cache (memory-bound at
small batch). Decode steps repeat for at least `min_seconds`, and the energy meter's window
spans them, so decode power (memory activity) is measured where a meter exists. The model is
cast to the inference precision, as serving systems do.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict, dataclass
from typing import Any

import torch

from calibration.config import GPTConfig
from calibration.model import GPT
from calibration.power import EnergyMeter, NullMeter
from calibration.trainer import DTYPES, TIMERS, synchronize
from simcompute.perf.flops import matmul_params


@dataclass(frozen=True)
class InferenceConfig:
    model: GPTConfig
    batch: int
    context: int
    dtype: str = "fp32"
    decode_steps: int = 16
    repeats: int = 3
    min_seconds: float = 1.0

    def key(self) -> str:
        m = self.model
        return (
            f"infer-l{m.layers}-h{m.hidden}-a{m.heads}-v{m.vocab}-b{self.batch}-c{self.context}-{self.dtype}"
        )

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["model"] = self.model.as_dict()
        return out


def prefill_flops(model: GPTConfig, batch: int, context: int) -> float:
    """Weights (2 per matmul weight per token) plus causal score/value products (mean context/2)."""
    spec = model.to_model_spec()
    return batch * context * (2.0 * matmul_params(spec) + 4.0 * model.layers * model.hidden * context / 2)


def decode_bytes(model: GPTConfig, batch: int, context: int, bytes_per_elem: int) -> float:
    """Memory a decode step must read: every matmul weight once plus every sequence's KV cache."""
    spec = model.to_model_spec()
    weights = matmul_params(spec) * bytes_per_elem
    return weights + batch * context * spec.kv_cache_bytes_per_token(bytes_per_elem)


def measure_inference(
    cfg: InferenceConfig,
    device: torch.device,
    *,
    peak_flops: float,
    bandwidth_bytes_per_s: float,
    meter: EnergyMeter | None = None,
    timer: str = "wall",
) -> list[dict[str, Any]]:
    """One prefill point and one decode point (dicts for points.jsonl)."""
    if cfg.context + cfg.decode_steps > cfg.model.seq_len:
        raise ValueError(f"context {cfg.context} + {cfg.decode_steps} decode steps exceed seq_len")
    meter = meter or NullMeter("energy unavailable: no meter given")
    dtype = DTYPES[cfg.dtype]
    torch.manual_seed(0)
    with device:
        model = GPT(cfg.model).to(dtype=dtype).eval()
    cache = model.new_cache(cfg.batch, dtype, device)
    prompt = torch.randint(cfg.model.vocab, (cfg.batch, cfg.context), device=device)
    token = torch.randint(cfg.model.vocab, (cfg.batch, 1), device=device)

    clock = TIMERS[timer]

    def decode_run() -> float:
        synchronize(device)
        t0 = clock()
        for i in range(cfg.decode_steps):
            model(token, cache=cache, pos=cfg.context + i)
        synchronize(device)
        return (clock() - t0) / cfg.decode_steps

    prefill_times, decode_times = [], []
    with torch.inference_mode():
        model(prompt, cache=cache)  # warm-up
        decode_run()
        for _ in range(cfg.repeats):
            synchronize(device)
            t0 = clock()
            model(prompt, cache=cache)
            synchronize(device)
            prefill_times.append(clock() - t0)
        meter.begin()
        start = time.perf_counter()
        while len(decode_times) < cfg.repeats or time.perf_counter() - start < cfg.min_seconds:
            decode_times.append(decode_run())
        reading = meter.end()
    base = {"config": cfg.as_dict(), "batch": cfg.batch, "context": cfg.context, "kind": "inference",
            "timer": timer}  # fmt: skip
    prefill_s = statistics.median(prefill_times)
    flops = prefill_flops(cfg.model, cfg.batch, cfg.context)
    decode_s = statistics.median(decode_times)
    nbytes = decode_bytes(cfg.model, cfg.batch, cfg.context, dtype.itemsize)
    return [
        {
            **base,
            "key": cfg.key() + "-prefill",
            "phase": "prefill",
            "time_s": prefill_s,
            "time_std_s": statistics.pstdev(prefill_times),
            "tokens_per_s": cfg.batch * cfg.context / prefill_s,
            "flops": flops,
            "flops_efficiency": flops / prefill_s / peak_flops,
        },
        {
            **base,
            "key": cfg.key() + "-decode",
            "phase": "decode",
            "time_s": decode_s,
            "time_std_s": statistics.pstdev(decode_times),
            "tokens_per_s": cfg.batch / decode_s,
            "bytes": nbytes,
            "memory_efficiency": nbytes / decode_s / bandwidth_bytes_per_s,
            "energy_j": reading.energy_j,
            "mean_power_w": reading.mean_power_w,
            "world_size": 1,
            "energy": reading.as_dict(),
        },
    ]
