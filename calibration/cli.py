"""`simcompute calibrate` / `python -m calibration`: sweep, fit, held-out check, profile YAML.

This module needs torch (through `calibration.sweep`); the simulator's CLI builds the
`calibrate` parser from the torch-free `calibration.options` and imports this module only
when the command runs.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import platform
import socket
import sys
from pathlib import Path
from typing import Any

import yaml

from calibration.sweep import SWEEPS, CalibrationError, PointsFile

# Catalog accelerator ids for NVML/CUDA device names (lower-cased substrings, first match wins).
GPU_NAME_TO_CATALOG = [
    (("h200",), "h200"),
    (("h100", "sxm"), "h100-sxm"),
    (("h100", "hbm3"), "h100-sxm"),
    (("a100", "80gb"), "a100-80gb"),
    (("a100",), "a100-40gb"),
    (("b200",), "b200"),
    (("v100",), "v100"),
    (("mi300x",), "mi300x"),
    (("l4",), "l4"),
    (("t4",), "t4"),
]


def catalog_gpu_id(device_name: str) -> str | None:
    """'NVIDIA H100 80GB HBM3' -> 'h100-sxm'; None when the catalog has no such GPU."""
    name = device_name.lower()
    for needles, gpu in GPU_NAME_TO_CATALOG:
        if all(n in name for n in needles):
            return gpu
    return None


def _provenance(
    torch: Any, device: Any, meter_info: dict[str, Any], sweep: str, timer: str
) -> dict[str, Any]:
    out: dict[str, Any] = {
        "date": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "host": socket.gethostname(),
        "platform": platform.platform(),
        "python": platform.python_version(),
        "torch": torch.__version__,
        "device_type": device.type,
        "sweep": sweep,
        "threads": torch.get_num_threads(),
        "timer": timer,
        "meter": meter_info,
    }
    if device.type == "cuda":
        out.update(
            device=torch.cuda.get_device_name(device),
            cuda=torch.version.cuda,
            driver=meter_info.get("driver"),
            cuda_driver=meter_info.get("cuda_driver"),
            matmul_allow_tf32=torch.backends.cuda.matmul.allow_tf32,
            matmul_allow_bf16_reduced_precision_reduction=(
                torch.backends.cuda.matmul.allow_bf16_reduced_precision_reduction
            ),
            float32_matmul_precision=torch.get_float32_matmul_precision(),
            cudnn=torch.backends.cudnn.version(),
        )
        devs = meter_info.get("devices") or [{}]
        out["power_limit_w"] = devs[0].get("power_limit_w")
        out["clocks_mhz"] = {k: v for k, v in devs[0].items() if k.endswith("_mhz")}
    else:
        out["device"] = platform.processor() or platform.machine()
        try:
            for line in Path("/proc/cpuinfo").read_text().splitlines():
                if line.startswith("model name"):
                    out["device"] = line.split(":", 1)[1].strip()
                    break
        except OSError:
            pass
    return out


def _reference(torch: Any, device: Any, dtype: str, meter: Any, gpu: str, timer: str) -> dict[str, Any]:
    """Peak FLOP/s, memory bandwidth and idle power: measured once per sweep (kept on resume)."""
    from calibration.trainer import measure_copy_bandwidth, measure_matmul_flops
    from simcompute.catalog import load_catalog

    ref: dict[str, Any] = {"kind": "reference", "key": "reference", "dtype": dtype}
    accel = None
    if device.type == "cuda" and gpu != "cpu":
        try:
            accel = load_catalog().accelerator(gpu)
        except Exception:  # a GPU the catalog lacks: measure instead
            accel = None
    if accel is not None and dtype in accel.peak_tflops:
        ref["peak_flops"] = accel.peak_flops(dtype)
        ref["peak_source"] = f"catalog {gpu} dense {dtype} peak (datasheet)"
        ref["bandwidth_bytes_per_s"] = accel.hbm_bandwidth_tbps * 1e12
        ref["bandwidth_source"] = f"catalog {gpu} HBM bandwidth (datasheet)"
    else:
        size = 4096 if device.type == "cuda" else 1024
        ref["peak_flops"] = measure_matmul_flops(device, dtype, size=size, seconds=2.0, timer=timer)
        ref["peak_source"] = (f"measured: best of repeated {size}x{size}x{size} {dtype} matmuls on this "
                              f"{device.type}, {torch.get_num_threads()} threads, {timer} clock (not a datasheet peak)")  # fmt: skip
        ref["bandwidth_bytes_per_s"] = measure_copy_bandwidth(device, timer=timer)
        ref["bandwidth_source"] = "measured: best 128 MiB tensor copy (read + write), not a datasheet figure"
    ref["idle_power_w"] = meter.measure_idle_power_w(2.0)
    return ref


def _power_limits(arg: str | None) -> list[float]:
    if not arg:
        return []
    try:
        return [float(x) for x in arg.split(",") if x.strip()]
    except ValueError:
        raise CalibrationError(f"--power-limits: expected watts like 400,550, got {arg!r}") from None


def run(args: argparse.Namespace) -> int:
    import torch
    from rich.console import Console
    from rich.progress import Progress

    from calibration.fit import fit_profile_parameters
    from calibration.holdout import compare
    from calibration.inference import measure_inference
    from calibration.power import NvmlMeter, make_meter
    from calibration.trainer import Distributed, Peak, resolve_device, train

    dist = Distributed.from_env()
    console = Console(width=None if sys.stdout.isatty() else 150, quiet=not dist.is_main)
    try:
        device = resolve_device(args.device, dist)
    except RuntimeError as exc:
        raise CalibrationError(str(exc)) from None
    if device.type == "cpu" and args.threads > 0:
        torch.set_num_threads(args.threads)
    timer = args.timer
    if timer == "auto":
        timer = "cpu" if device.type == "cpu" and torch.get_num_threads() == 1 else "wall"
    if timer == "cpu" and device.type != "cpu":
        raise CalibrationError("--timer cpu measures host CPU time; GPU steps need --timer wall")
    sweep_name = args.sweep or ("gpu" if device.type == "cuda" else "cpu")
    sweep = SWEEPS[sweep_name]().with_window(args.warmup_steps, args.min_steps, args.min_seconds)
    sweep = sweep.with_options(args.dtype, args.compile)
    dtype = sweep.train[0].dtype
    if device.type == "cpu" and dtype == "fp16":
        raise CalibrationError("--dtype fp16 is not supported on the CPU; use fp32 or bf16")
    if device.type == "cuda":
        visible = os.environ.get("CUDA_VISIBLE_DEVICES", "")
        ids = [int(x) for x in visible.split(",") if x.strip().isdigit()]
        index = ids[device.index] if device.index is not None and device.index < len(ids) else device.index
        meter = make_meter("cuda", [index or 0])
        gpu = catalog_gpu_id(torch.cuda.get_device_name(device)) or "unknown-gpu"
    else:
        meter, gpu = make_meter("cpu"), "cpu"
    limits = _power_limits(args.power_limits)
    if limits and not isinstance(meter, NvmlMeter):
        raise CalibrationError("--power-limits needs an NVIDIA GPU with NVML")

    out = Path(args.out or f"calibration/profiles/{gpu}-{dt.date.today().isoformat()}.yaml")
    points = PointsFile.open(out.with_suffix(".points.jsonl"), resume=args.resume, force=args.force,
                             write=dist.is_main)  # fmt: skip
    ref = next(iter(points.of_kind("reference")), None)
    if ref is None:
        ref = _reference(torch, device, dtype, meter, gpu, timer)
        ref["provenance"] = _provenance(torch, device, meter.info(), sweep_name, timer)
        points.append(ref)
    peak = Peak(ref["peak_flops"], ref["peak_source"])

    todo: list[tuple[str, Any, float | None]] = [("train", c, None) for c in sweep.train]
    if args.holdout:
        todo += [("train", c, None) for c in sweep.holdout]
    if not args.no_inference:
        todo += [("inference", c, None) for c in sweep.inference]
    todo += [("train", sweep.train[-1], w) for w in limits]
    done = points.keys()

    def key_of(kind: str, cfg: Any, limit: float | None) -> str:
        key = cfg.key() if kind == "train" else cfg.key() + "-decode"
        return f"{key}-pl{limit:g}w" if limit is not None else key

    pending = [t for t in todo if key_of(*t) not in done]
    console.print(f"calibrate: {device} ({gpu}), sweep '{sweep_name}': {len(todo) - len(pending)} points "
                  f"already measured, {len(pending)} to go -> {points.path}")  # fmt: skip
    if not meter.available:
        console.print(f"[yellow]{meter.reason}[/yellow]; timings only")
    original_limit = None
    with Progress(console=console, disable=args.no_progress or not dist.is_main, transient=False) as bar:
        task = bar.add_task("measuring", total=len(pending))
        try:
            for kind, cfg, limit in pending:
                bar.update(task, description=key_of(kind, cfg, limit))
                if kind == "inference":
                    for rec in measure_inference(cfg, device, peak_flops=peak.flops,
                                                 bandwidth_bytes_per_s=ref["bandwidth_bytes_per_s"], meter=meter,
                                                 timer=timer):  # fmt: skip
                        points.append(rec)
                else:
                    if limit is not None:
                        if original_limit is None:
                            original_limit = meter.info()["devices"][0]["power_limit_w"]
                        meter.set_power_limit_w(limit)
                    rec = train(cfg, device, peak, meter, dist, timer).as_dict()
                    if limit is not None:
                        rec.update(key=key_of(kind, cfg, limit), power_limit_w=limit)
                    points.append(rec)
                bar.advance(task)
        finally:
            if original_limit is not None:
                meter.set_power_limit_w(original_limit)
    if not dist.is_main:
        return 0

    holdout_keys = {c.key() for c in sweep.holdout} if args.holdout else set()
    fit_keys = {c.key() for c in sweep.train}
    train_pts = [p for p in points.of_kind("training") if p["key"] in fit_keys]
    infer_pts = points.of_kind("inference")
    max_w = ref["provenance"].get("power_limit_w")
    fitted = fit_profile_parameters(train_pts, infer_pts, peak_flops=peak.flops,
                                    idle_power_w=ref["idle_power_w"], max_power_w=max_w)  # fmt: skip
    energy_available = any(p.get("energy_j") is not None for p in train_pts)
    profile: dict[str, Any] = {
        "profile_version": 1,
        "gpu": gpu,
        "provenance": {
            **ref["provenance"],
            "peak_tflops": peak.flops / 1e12,
            "peak_source": peak.source,
            "bandwidth_gbps": ref["bandwidth_bytes_per_s"] / 1e9,
            "bandwidth_source": ref["bandwidth_source"],
            "idle_power_w": ref["idle_power_w"],
            "points_file": points.path.name,
        },
        "energy_available": energy_available,
        "energy_note": None if energy_available else (meter.reason or "no energy readings"),
        "fitted": fitted,
        "points": [_compact(p) for p in points.of_kind("training")],
        "inference": [_compact(p) for p in infer_pts],
    }
    if gpu == "cpu":
        profile["provenance"]["note"] = "CPU calibration: gpu 'cpu' is refused for GPU clusters by design"
    if holdout_keys:
        largest = max(p["flops_per_token"] * p["tokens_per_step"] for p in train_pts)
        held = [p for p in points.of_kind("training") if p["key"] in holdout_keys]
        profile["holdout"] = compare(fitted, held, largest)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(yaml.safe_dump(_plain(profile), sort_keys=False, width=110))
    _report(console, profile, out)
    return 0


FITTED_SHOWN = ("gemm_max_efficiency", "gemm_half_size_flops", "attention_efficiency",
                "elementwise_s_per_element", "optimizer_s_per_param", "step_overhead_s")  # fmt: skip
"""The fitted step-model values `calibrate` prints, each under its own profile field name."""


def _compact(p: dict[str, Any]) -> dict[str, Any]:
    """A point for the profile: what was run and what was measured (raw details stay in JSONL)."""
    drop = {"energy", "config", "peak_source"}
    out = {k: v for k, v in p.items() if k not in drop}
    if "config" in p:
        cfg = p["config"]
        out["config"] = {
            **cfg["model"],
            **{k: v for k, v in cfg.items() if k in ("batch", "context", "dtype")},
        }
    return out


def _plain(value: Any) -> Any:
    """Plain Python floats/ints for YAML (numpy scalars would be tagged objects)."""
    if isinstance(value, dict):
        return {k: _plain(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, str):
        return str(value)  # e.g. torch's TorchVersion
    if hasattr(value, "item"):
        return value.item()
    return value


def _report(console: Any, profile: dict[str, Any], out: Path) -> None:
    from rich.table import Table

    f, g = profile["fitted"], profile["fitted"]["goodness_of_fit"]
    console.print(
        f"fit on {g['step_time_points']} points: step time R^2 {g['step_time_r2']:.3f}, "
        f"RMS error {100 * g['step_time_rms_rel_error']:.1f}%, max {100 * g['step_time_max_rel_error']:.1f}%"
    )
    for name in FITTED_SHOWN:
        mark = "  (on its bound)" if name in g.get("at_bound", ()) else ""
        console.print(f"  {name:<27} {f[name]:.4g}{mark}")
    for warning in f.get("warnings", ()):
        console.print(f"[yellow]warning: {warning}[/yellow]")
    if not profile["energy_available"]:
        console.print(f"energy: unavailable ({profile['energy_note']})")
    if "holdout" in profile:
        table = Table(title="held-out configurations: predicted vs measured")
        for col in (
            "configuration",
            "FLOPs/fitted",
            "step s pred",
            "meas",
            "err",
            "J/step pred",
            "meas",
            "err",
        ):
            table.add_column(col, justify="right")
        for r in profile["holdout"]:

            def j(v: float | None, fmt: str) -> str:
                return "unavailable" if v is None else format(v, fmt)

            table.add_row(r["key"].removeprefix("train-"), f"{r['flops_vs_largest_fitted']:.1f}x", f"{r['predicted_step_time_s']:.4f} s",
                          f"{r['measured_step_time_s']:.4f} s", f"{r['step_time_error_pct']:+.1f}%",
                          j(r["predicted_energy_per_step_j"], ".1f"), j(r["measured_energy_per_step_j"], ".1f"),
                          j(r["energy_error_pct"], "+.1f"))  # fmt: skip
        console.print(table)
    console.print(f"profile written to {out}")
