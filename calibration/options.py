"""The `calibrate` command's options, torch-free: the simulator's CLI builds its parser from here.

`SWEEP_NAMES` lists the sweeps of `calibration.sweep.SWEEPS` (a test keeps the two equal), so
`simcompute --help` need not import torch.
"""

from __future__ import annotations

import argparse

SWEEP_NAMES = ("cpu", "gpu", "tiny")


def add_arguments(p: argparse.ArgumentParser) -> None:
    p.add_argument("--device", default="auto", help="auto (GPU if present), cpu, cuda or cuda:N")
    p.add_argument("--sweep", choices=SWEEP_NAMES, help="configurations to measure (default: gpu or cpu)")
    p.add_argument("--out", help="profile YAML (default calibration/profiles/<gpu>-<date>.yaml); "
                   "raw points go next to it as <name>.points.jsonl")  # fmt: skip
    p.add_argument("--resume", action="store_true", help="continue the sweep in the existing points file")
    p.add_argument("--force", action="store_true", help="discard an existing points file and start over")
    p.add_argument("--holdout", action="store_true",
                   help="fit without the largest configurations, then predict and measure them")  # fmt: skip
    p.add_argument("--dtype", choices=["fp32", "bf16", "fp16"], help="precision (default: sweep's)")
    p.add_argument("--compile", action="store_true", help="torch.compile the model")
    p.add_argument("--warmup-steps", type=int, help="override the sweep's warm-up steps")
    p.add_argument("--min-steps", type=int, help="override the measured window's minimum steps")
    p.add_argument("--min-seconds", type=float, help="override the measured window's minimum seconds")
    p.add_argument("--no-inference", action="store_true", help="skip prefill/decode timing")
    p.add_argument("--power-limits", help="GPU power limits in W to also measure, e.g. 400,550 (needs root)")
    p.add_argument("--threads", type=int, default=1,
                   help="CPU threads for torch (default 1: robust on shared machines, where several "
                   "OpenMP threads stall whenever one of them is descheduled); 0 keeps torch's default")  # fmt: skip
    p.add_argument("--timer", choices=["auto", "wall", "cpu"], default="auto",
                   help="step clock: wall time, or process CPU time (auto: CPU time on a CPU with one "
                   "thread, where it is the time on a core of its own; wall time otherwise)")  # fmt: skip
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
