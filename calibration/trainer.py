"""Train the GPT for a measured window: warm-up, then synchronised per-step timings.

One call of `train` is one measured point: warm-up steps (compilation, allocator, caches),
then at least `min_steps` steps and at least `min_seconds`, with the device synchronised
before and after every step. The energy meter's window spans exactly the measured steps.
Under `torchrun` the model is wrapped in DistributedDataParallel and the point describes all
ranks (tokens and FLOPs summed, energy summed over the GPUs, step time of the slowest rank).
"""

from __future__ import annotations

import contextlib
import math
import os
import statistics
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from typing import Any

import torch

from calibration.data import Batches
from calibration.model import GPT, GPTConfig
from calibration.power import EnergyMeter, NullMeter
from simcompute.perf.flops import training_flops_per_token

DTYPES = {"fp32": torch.float32, "bf16": torch.bfloat16, "fp16": torch.float16}


@dataclass(frozen=True)
class RunConfig:
    """One training measurement: model shape, per-device batch, precision and window."""

    model: GPTConfig
    batch: int
    dtype: str = "fp32"
    compile: bool = False
    data: str = "random"
    warmup_steps: int = 3
    min_steps: int = 10
    min_seconds: float = 5.0
    lr: float = 1e-3
    seed: int = 0

    def key(self) -> str:
        """Identifies the point in a sweep (resume skips keys already measured)."""
        m = self.model
        return (f"train-l{m.layers}-h{m.hidden}-a{m.heads}-t{m.seq_len}-v{m.vocab}-b{self.batch}"
                f"-{self.dtype}{'-compiled' if self.compile else ''}-{self.data}")  # fmt: skip

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["model"] = self.model.as_dict()
        return out


@dataclass
class Distributed:
    """Rank layout from torchrun's environment (world_size 1 without torchrun)."""

    rank: int = 0
    local_rank: int = 0
    world_size: int = 1

    @classmethod
    def from_env(cls) -> Distributed:
        return cls(
            int(os.environ.get("RANK", 0)),
            int(os.environ.get("LOCAL_RANK", 0)),
            int(os.environ.get("WORLD_SIZE", 1)),
        )

    @property
    def is_main(self) -> bool:
        return self.rank == 0


def resolve_device(name: str, dist: Distributed | None = None) -> torch.device:
    """'auto' picks the GPU when there is one; under torchrun each rank takes its local GPU."""
    dist = dist or Distributed()
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    if name.startswith("cuda"):
        if not torch.cuda.is_available():
            raise RuntimeError("--device cuda requested but torch sees no CUDA GPU")
        if name == "cuda":
            name = f"cuda:{dist.local_rank}"
    return torch.device(name)


def init_distributed(device: torch.device, dist: Distributed) -> None:
    """Join the torchrun process group (NCCL on GPUs, Gloo on CPUs) once."""
    if dist.world_size > 1 and not torch.distributed.is_initialized():
        if device.type == "cuda":
            torch.cuda.set_device(device)
        torch.distributed.init_process_group("nccl" if device.type == "cuda" else "gloo")


def synchronize(device: torch.device) -> None:
    """Wait for queued device work, so host timers see the real duration."""
    if device.type == "cuda":
        torch.cuda.synchronize(device)


def autocast(device: torch.device, dtype: str) -> contextlib.AbstractContextManager[Any]:
    """Mixed precision for bf16/fp16 (weights stay fp32, matmuls run in the low precision)."""
    if dtype == "fp32":
        return contextlib.nullcontext()
    if device.type == "cpu" and dtype == "fp16":
        raise ValueError("fp16 autocast is not supported on the CPU; use fp32 or bf16")
    return torch.autocast(device_type=device.type, dtype=DTYPES[dtype])


TIMERS: dict[str, Callable[[], float]] = {"wall": time.perf_counter, "cpu": time.process_time}


def _timed(device: torch.device, fn: Callable[[], Any], timer: str = "wall") -> float:
    """Seconds `fn` takes, device synchronised on both sides.

    `timer="cpu"` counts this process's CPU time instead of wall time: with one torch thread on
    a CPU shared with other jobs, that is the time the step takes on a core of its own, while
    wall time also counts the time-slices other processes took.
    """
    clock = TIMERS[timer]
    synchronize(device)
    t0 = clock()
    fn()
    synchronize(device)
    return clock() - t0


def measure_matmul_flops(
    device: torch.device, dtype: str, size: int = 1024, seconds: float = 1.0, timer: str = "wall"
) -> float:
    """Best FLOP/s of square `size` matmuls over about `seconds` (the CPU's measured peak)."""
    a = torch.randn(size, size, device=device, dtype=DTYPES[dtype])
    b = torch.randn(size, size, device=device, dtype=DTYPES[dtype])
    best, start = math.inf, time.perf_counter()
    for _ in range(3):
        torch.mm(a, b)
    while time.perf_counter() - start < seconds:
        best = min(best, _timed(device, lambda: torch.mm(a, b), timer))
    return 2.0 * size**3 / best


def measure_copy_bandwidth(
    device: torch.device, megabytes: int = 128, seconds: float = 1.0, timer: str = "wall"
) -> float:
    """Best bytes/s of copying a `megabytes` tensor (read + write), the memory-bound reference."""
    src = torch.empty(megabytes * 2**20 // 4, device=device, dtype=torch.float32)
    dst = torch.empty_like(src)
    best, start = math.inf, time.perf_counter()
    dst.copy_(src)
    while time.perf_counter() - start < seconds:
        best = min(best, _timed(device, lambda: dst.copy_(src), timer))
    return 2.0 * src.numel() * 4 / best


@dataclass
class Peak:
    """Dense peak FLOP/s of one device and where the number comes from."""

    flops: float
    source: str


@dataclass
class TrainingPoint:
    """What one measured training window produced (one row of points.jsonl)."""

    key: str
    config: dict[str, Any]
    world_size: int
    tokens_per_step: int
    flops_per_token: float
    warmup_steps: int
    steps: int
    window_s: float
    step_time_s: float
    step_time_median_s: float
    step_time_std_s: float
    step_time_min_s: float
    step_time_max_s: float
    tokens_per_s: float
    achieved_tflops: float
    peak_tflops: float
    peak_source: str
    mfu: float
    loss_first: float
    loss_last: float
    energy_j: float | None
    mean_power_w: float | None
    energy_per_token_j: float | None
    energy: dict[str, Any] = field(default_factory=dict)
    timer: str = "wall"
    kind: str = "training"

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def train(
    cfg: RunConfig,
    device: torch.device,
    peak: Peak,
    meter: EnergyMeter | None = None,
    dist: Distributed | None = None,
    timer: str = "wall",
) -> TrainingPoint:
    """Train `cfg` on `device` and measure its window (see the module docstring and `_timed`)."""
    dist = dist or Distributed()
    meter = meter or NullMeter("energy unavailable: no meter given")
    init_distributed(device, dist)
    torch.manual_seed(cfg.seed)
    with device:  # initialise on the device: large models would take long on one CPU thread
        model: torch.nn.Module = GPT(cfg.model)
    if dist.world_size > 1:
        model = torch.nn.parallel.DistributedDataParallel(
            model, device_ids=[device.index] if device.type == "cuda" else None
        )
    fwd = torch.compile(model) if cfg.compile else model
    opt = torch.optim.AdamW(model.parameters(), lr=cfg.lr, weight_decay=0.1, betas=(0.9, 0.95),
                            fused=device.type == "cuda")  # fmt: skip
    scaler = torch.amp.GradScaler(device.type, enabled=cfg.dtype == "fp16")
    data = Batches(cfg.data, batch=cfg.batch, seq_len=cfg.model.seq_len, vocab=cfg.model.vocab,
                   device=device, seed=cfg.seed + dist.rank)  # fmt: skip
    losses: list[torch.Tensor] = []

    def step() -> None:
        x, y = data.next()
        with autocast(device, cfg.dtype):
            _, loss = fwd(x, y)
        scaler.scale(loss).backward()
        scaler.step(opt)
        scaler.update()
        opt.zero_grad(set_to_none=True)
        losses.append(loss.detach())

    for _ in range(cfg.warmup_steps):
        _timed(device, step)
    meter.begin()
    times: list[float] = []
    start = time.perf_counter()
    while len(times) < cfg.min_steps or time.perf_counter() - start < cfg.min_seconds:
        times.append(_timed(device, step, timer))
    reading = meter.end()
    loss_values = [float(v) for v in torch.stack(losses).cpu()]
    if dist.world_size > 1:  # the slowest rank sets the pace; energy adds over the GPUs
        gathered: list[Any] = [None] * dist.world_size
        torch.distributed.all_gather_object(gathered, (times, reading))
        times = [max(ts) for ts in zip(*(g[0] for g in gathered))]
        energies = [g[1].energy_j for g in gathered]
        reading.energy_j = None if None in energies else sum(energies)
        reading.devices = [d for g in gathered for d in g[1].devices]
        reading.available = reading.energy_j is not None
        reading.mean_power_w = reading.energy_j / reading.duration_s if reading.energy_j else None
    spec = cfg.model.to_model_spec()
    tokens = cfg.batch * cfg.model.seq_len * dist.world_size
    fpt = training_flops_per_token(spec, cfg.model.seq_len)
    mean_t = statistics.fmean(times)
    energy = reading.energy_j
    return TrainingPoint(
        key=cfg.key(),
        config=cfg.as_dict(),
        world_size=dist.world_size,
        tokens_per_step=tokens,
        flops_per_token=fpt,
        warmup_steps=cfg.warmup_steps,
        steps=len(times),
        window_s=reading.duration_s,
        step_time_s=mean_t,
        step_time_median_s=statistics.median(times),
        step_time_std_s=statistics.pstdev(times),
        step_time_min_s=min(times),
        step_time_max_s=max(times),
        tokens_per_s=tokens / mean_t,
        achieved_tflops=fpt * tokens / mean_t / 1e12,
        peak_tflops=peak.flops / 1e12,
        peak_source=peak.source,
        mfu=fpt * tokens / mean_t / (peak.flops * dist.world_size),
        loss_first=statistics.fmean(loss_values[:3]),
        loss_last=statistics.fmean(loss_values[-3:]),
        energy_j=energy,
        mean_power_w=reading.mean_power_w,
        energy_per_token_j=energy / (tokens * len(times)) if energy is not None else None,
        energy=reading.as_dict(),
        timer=timer,
    )
