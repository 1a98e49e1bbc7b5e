"""Command line: `simcompute COMMAND ...` (`simcompute --help` lists the commands).

User mistakes (bad scenario, unknown names, existing output folder) print one line on stderr
and exit with code 2; they never show a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from simcompute.errors import SimcomputeError

if TYPE_CHECKING:
    from rich.console import Console

EXIT_USER_ERROR = 2


class UsageError(SimcomputeError):
    """A command-line option that cannot be honoured."""


def _cmd_run(args: argparse.Namespace) -> int:
    from simcompute.api import run
    from simcompute.config import load_scenario
    from simcompute.report.answer import answer
    from simcompute.report.tables import make_console, print_answer, print_summary, waterfall_table

    scenario = load_scenario(args.scenario)
    if args.best_case:
        scenario = scenario.model_copy(update={"realism": "ideal"})
    out = Path(args.out) if args.out else Path("runs") / scenario.name
    if args.samples:
        return _run_samples(args, out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not args.force:
        raise UsageError(f"output folder {out} exists and is not empty; use --force to overwrite it")
    result = run(scenario, calibration=args.calibration)
    paths = result.write(out)
    if not args.no_plot:
        from simcompute.report.plots import plot_power

        paths.append(plot_power(result.timeseries, out / "power.png", f"{scenario.name}: power"))
    if args.report:
        from simcompute.report.html import write_report

        paths.append(write_report(out))
    console = make_console()
    if not args.quiet:
        print_answer(answer(result.summary, result.jobs, result.metadata), console)
        print_summary(result.summary, "per workload (rows add up to the total)", console)
        rows = result.summary.set_index("workload")
        for _, job in result.jobs.iterrows():
            if job["kind"] == "training":
                console.print(waterfall_table(job, rows.loc[job["workload"]]))
        if result.metadata.get("calibration"):
            console.print(f"calibration profile: {result.metadata['calibration']}")
        console.print(f"results written to {out}/ ({len(paths)} files)")
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from simcompute.report.html import write_report

    path = write_report(Path(args.run_dir))
    print(f"report written to {path} ({path.stat().st_size / 1e6:.2f} MB)")
    return 0


def _steps(tokens: int, candidate) -> int:
    """Whole steps a layout candidate needs for `tokens`."""
    return -(-tokens // candidate.estimate.tokens_per_step)


def _cmd_plan(args: argparse.Namespace) -> int:
    import functools

    from rich.table import Table

    from simcompute.catalog import load_catalog
    from simcompute.config import TrainingWorkload, load_scenario
    from simcompute.profile import load_profile
    from simcompute.report.answer import duration, sig
    from simcompute.report.tables import make_console
    from simcompute.resolve.cluster import resolve_cluster
    from simcompute.resolve.training import plan_layouts
    from simcompute.units import SECONDS_PER_HOUR

    scenario = load_scenario(args.scenario)
    catalog = load_catalog()
    path = args.calibration or scenario.calibration
    profile = load_profile(path) if path else None
    cluster = resolve_cluster(scenario, catalog, profile)
    console = make_console()
    if not any(isinstance(w, TrainingWorkload) for w in scenario.workloads):
        console.print(
            f"{scenario.name}: no training workload to plan (plan-serving sizes inference services)",
            markup=False,
            highlight=False,
        )
        return 0
    for i, workload in enumerate(scenario.workloads):
        if not isinstance(workload, TrainingWorkload):
            continue
        candidates = plan_layouts(i, workload, cluster, catalog)
        fitting = [c for c in candidates if c.fits]
        gpu = f"{cluster.accelerator.id} ({cluster.accelerator.memory_gib:g} GiB)"
        if not fitting:
            console.print(f"{workload.name}: none of {len(candidates)} valid layouts fits {gpu}")
            continue

        steps = functools.partial(_steps, int(workload.tokens))
        best = fitting[0]
        best_time_s = best.estimate.step_time_s * steps(best)
        console.print(
            f"{workload.name}: fastest layout that fits {workload.gpus:,} x {gpu}: {best.layout.describe()}\n"
            f"  {duration(best_time_s)} for {sig(workload.tokens / 1e9)}B tokens, MFU {best.estimate.mfu:.1%}, "
            f"{sig(best_time_s * workload.gpus / SECONDS_PER_HOUR)} GPU-h ({len(fitting)} of {len(candidates)} valid layouts fit)",
            markup=False,
            highlight=False,
        )
        table = Table(title=f"{workload.name}: top {min(args.top, len(fitting))} layouts, fastest first")
        for label in ("layout", "step", "MFU", "tokens/s", "memory GiB", "GPU-h"):
            table.add_column(
                label, justify="left" if label == "layout" else "right", no_wrap=label == "layout"
            )
        for c in fitting[: args.top]:
            table.add_row(
                c.layout.describe(), duration(c.estimate.step_time_s), f"{c.estimate.mfu:.1%}",
                sig(c.estimate.tokens_per_s), sig(c.estimate.memory.total_gib),
                sig(c.estimate.step_time_s * workload.gpus / SECONDS_PER_HOUR * steps(c)),
            )  # fmt: skip
        console.print(table)
    return 0


def _cmd_budget(args: argparse.Namespace) -> int:
    from pathlib import Path

    from rich.table import Table

    from simcompute.budget import plan_budget
    from simcompute.report.answer import duration, energy, mass, sig, usd, water
    from simcompute.report.tables import make_console

    plan = plan_budget(args.spec)
    out = Path(args.out or f"runs/budget-{plan.spec.name}")
    out.mkdir(parents=True, exist_ok=True)
    plan.candidates.to_csv(out / "candidates.csv", index=False)
    plan.frontier.to_csv(out / "frontier.csv", index=False)
    scenario = plan.write_scenario(out / "plan-scenario.yaml")
    figure = plan.plot(out / "frontier.png")
    o, c = plan.optimum, plan.chinchilla
    p10, p50, p90 = plan.interval["cost_usd"]
    console = make_console()
    console.print(
        f"{plan.spec.name}: train {o['model']} ({sig(o['params'] / 1e9)}B params) on {sig(o['tokens'] / 1e9)}B tokens "
        f"({sig(o['tokens_per_param'])} per param) with {o['train_gpus']:,} x {o['train_gpu']}, "
        f"predicted loss {o['loss']:.4f} ({plan.law.source.split(',')[0]}); the {o['binding']} limit binds\n"
        f"  training {duration(o['train_wall_days'] * 86400.0)}, {sig(o['train_gpu_hours'])} GPU-h, "
        f"{energy(o['train_energy_mwh'] * 1000.0)}, {mass(o['train_co2_t'] * 1000.0)} CO2, {usd(o['train_cost_usd'])} "
        f"(P10-P90 {usd(p10)}-{usd(p90)}, P50 {usd(p50)}); layout {o['layout']}, MFU {o['mfu']:.1%}",
        markup=False,
        highlight=False,
    )
    if o["serve_gpu"] is not None:
        console.print(
            f"  serving {o['serve_replicas']:,} x {o['serve_gpu']} replicas at mean load (TP {o['serve_tp']}, batch "
            f"{o['serve_batch']}, {o['serve_tpot_s'] * 1000:.0f} ms per output token): {sig(o['serve_gpu_hours'])} GPU-h, "
            f"{energy(o['serve_energy_mwh'] * 1000.0)}, {mass(o['serve_co2_t'] * 1000.0)} CO2, {usd(o['serve_cost_usd'])}; "
            f"total {usd(o['total_cost_usd'])}, {energy(o['total_energy_mwh'] * 1000.0)}",
            markup=False,
            highlight=False,
        )
    table = Table(title="the plan against the Chinchilla plan (serving left out of the choice)")
    for label in (
        "plan",
        "params",
        "tokens",
        "loss",
        "train",
        "serve",
        "total",
        "energy",
        "CO2",
        "water",
    ):
        table.add_column(label, justify="left" if label == "plan" else "right", no_wrap=True)
    for name, r in (("optimum", o), ("Chinchilla", c)):
        table.add_row(
            name, sig(r["params"] / 1e9) + "B", sig(r["tokens"] / 1e9) + "B", f"{r['loss']:.4f}",
            usd(r["train_cost_usd"]), usd(r["serve_cost_usd"]), usd(r["total_cost_usd"]),
            energy(r["total_energy_mwh"] * 1000.0), mass(r["total_co2_t"] * 1000.0), water(r["total_water_l"]),
        )  # fmt: skip
    console.print(table)
    front = Table(title="frontier: cheapest plan in total per target loss (Chinchilla: cheapest to train)")
    for label in (
        "loss",
        "model",
        "tokens",
        "total",
        "energy",
        "CO2",
        "Chinchilla model",
        "Chinchilla total",
    ):
        front.add_column(label, justify="left" if "model" in label else "right", no_wrap=True)
    for _, r in plan.frontier.head(args.top).iterrows():
        front.add_row(
            f"{r['loss']:.4f}", r["aware_model"], sig(r["aware_tokens"] / 1e9) + "B", usd(r["aware_total_cost_usd"]),
            energy(r["aware_total_energy_mwh"] * 1000.0), mass(r["aware_total_co2_t"] * 1000.0),
            r["chinchilla_model"], usd(r["chinchilla_total_cost_usd"]),
        )  # fmt: skip
    console.print(front)
    serving = ", " + scenario.stem + "-serving.yaml" if o["serve_gpu"] is not None else ""
    console.print(
        f"wrote {out}/candidates.csv, frontier.csv, {scenario.name}{serving}, {figure.name}", markup=False
    )
    return 0


VALIDATE_METRICS = {"gpu_hours": "GPU-h", "tokens_per_s_per_gpu": "tok/s/GPU", "mfu": "MFU",
                    "tflops_per_gpu": "TFLOP/s/GPU", "hw_tflops_per_gpu": "HW TFLOP/s/GPU",
                    "node_power_kw": "node kW"}  # fmt: skip


LAYOUT_FROM = {"layout search": "search", "published + search": "pub.+search"}


def _cmd_validate(args: argparse.Namespace) -> int:
    from rich import box
    from rich.table import Table

    from simcompute.report.answer import sig
    from simcompute.report.tables import make_console
    from simcompute.validate import run_validation

    report = run_validation()
    path = report.write_csv(args.out)
    table = report.table
    console = make_console()
    console.print(
        f"{len(report.predicted)} published runs predicted; expected run: median |error| of P50 "
        f"{report.median_abs_error_pct:.1f}%, max |error| {report.max_abs_error_pct:.1f}%",
        markup=False,
    )
    kinds = Table(title="per metric kind (error = predicted / published - 1)", box=box.SIMPLE_HEAD)
    for label in ("kind", "cases", "best case: median", "median |e|", "expected P50: median", "median |e| ",
                  "inside P10-P90"):  # fmt: skip
        kinds.add_column(label, justify="left" if label == "kind" else "right")
    for _, k in report.by_kind().iterrows():
        kinds.add_row(
            k["kind"], str(k["cases"]), f"{k['best_case_median_error_pct']:+.1f}%",
            f"{k['best_case_median_abs_error_pct']:.1f}%", f"{k['p50_median_error_pct']:+.1f}%",
            f"{k['p50_median_abs_error_pct']:.1f}%", f"{k['inside_p10_p90_pct']:.0f}%",
        )  # fmt: skip
    console.print(kinds)
    shown = Table(
        title="published runs: best case and expected run", box=box.SIMPLE_HEAD, collapse_padding=True
    )
    for label in (
        "case",
        "metric",
        "stack",
        "published",
        "best case",
        "P10",
        "P50",
        "P90",
        "P50 error",
        "layout from",
    ):
        shown.add_column(label, justify="left" if label in ("case", "metric", "stack", "layout from") else "right",
                         no_wrap=True)  # fmt: skip
    for _, row in report.predicted.iterrows():
        shown.add_row(
            str(row["case"]), VALIDATE_METRICS.get(row["metric"], str(row["metric"])), str(row["stack"]),
            sig(row["published"]), sig(row["best_case"]), sig(row["p10"]), sig(row["predicted"]), sig(row["p90"]),
            f"{row['error_pct']:+.1f}%", LAYOUT_FROM.get(row["layout_from"], str(row["layout_from"])),
        )  # fmt: skip
    console.print(shown)
    skipped = table[table["skipped"].fillna("") != ""]
    for _, row in skipped.iterrows():
        console.print(f"skipped {row['case']}: {row['skipped']}", markup=False, highlight=False)
    console.print(
        f"written to {path} (every column, full precision; P10-P90 widths use the residual of the other cases)"
    )
    _print_serving_validation(args.serving_out, console)
    return 0


SERVING_METRICS = {"output_tokens_per_s_per_gpu": "out tok/s/GPU", "ttft_s": "TTFT s",
                   "gpu_energy_per_request_j": "GPU J/request", "e2e_mean_s": "latency s"}  # fmt: skip


def _print_serving_validation(out: str, console: Console) -> None:
    """The serving part of `simcompute validate`: each published serving measurement, its
    prediction and error, and the median |error| of each metric."""
    from rich import box
    from rich.table import Table

    from simcompute.report.answer import sig
    from simcompute.validate import median_abs_error_by_metric, run_serving_validation

    report = run_serving_validation()
    path = report.write_csv(out)
    medians = ", ".join(
        f"{SERVING_METRICS[m]} {v:.1f}%" for m, v in median_abs_error_by_metric(report).items()
    )
    console.print(
        f"{len(report.predicted)} published serving measurements predicted: median |error| {medians}",
        markup=False,
    )
    shown = Table(
        title="published serving measurements vs prediction", box=box.SIMPLE_HEAD, collapse_padding=True
    )
    for label in ("case", "metric", "engine", "published", "predicted", "error"):
        shown.add_column(
            label, justify="left" if label in ("case", "metric", "engine") else "right", no_wrap=True
        )
    for _, row in report.predicted.iterrows():
        shown.add_row(
            str(row["case"]), SERVING_METRICS[row["metric"]], str(row["engine"]), sig(row["published"]),
            sig(row["predicted"]), f"{row['error_pct']:+.1f}%",
        )  # fmt: skip
    console.print(shown)
    for _, row in report.table[report.table["skipped"].fillna("") != ""].iterrows():
        console.print(f"skipped {row['case']}: {row['skipped']}", markup=False, highlight=False)
    console.print(f"written to {path} (every column, full precision)")


def _cmd_calibrate(args: argparse.Namespace) -> int:
    try:
        import scipy  # noqa: F401  (the calibrate extra: the fit)
        import torch  # noqa: F401  (the calibrate extra: the trainer)

        from calibration.cli import run as run_calibration
    except ImportError as exc:
        raise UsageError(
            f"calibration needs the calibrate extra ({exc.name or exc} is missing): "
            'pip install torch (a CPU or CUDA build), then pip install -e ".[calibrate]"'
        ) from None

    return run_calibration(args)


def _executor(args: argparse.Namespace):
    from simcompute.sweep import LocalExecutor, RayExecutor

    if args.backend == "ray":
        return RayExecutor(address=args.address, jobs=args.jobs)
    if args.address:
        raise UsageError("--address is for --backend ray")
    return LocalExecutor(jobs=args.jobs)


def _run_samples(args: argparse.Namespace, out: Path) -> int:
    import yaml

    from simcompute.report.progress import sweep_progress
    from simcompute.report.tables import frame_table, make_console, print_intervals
    from simcompute.uncertainty import monte_carlo

    if args.calibration:
        raise UsageError("--calibration cannot be combined with --samples; set calibration: in the scenario")
    raw = yaml.safe_load(Path(args.scenario).read_text(encoding="utf-8"))
    if args.best_case:
        raw["realism"] = "ideal"
    with sweep_progress(f"Monte Carlo {raw.get('name', '')}", enabled=not args.quiet) as update:
        mc = monte_carlo(raw, args.samples, out, _executor(args), resume=args.resume, on_progress=update)
    mc.write(out)
    if not args.quiet:
        console = make_console()
        print_intervals(mc.intervals, f"{args.samples} Monte Carlo samples of {raw.get('name', '')}", console)
        drivers = mc.drivers[~mc.drivers["output"].str.contains(".", regex=False)].drop_duplicates("output")
        console.print(frame_table(drivers.head(10), "what drives the spread of the total (strongest input)"))
        console.print(
            f"results written to {out}/ (samples.parquet, intervals.csv with every column, drivers.csv)"
        )
    return 0


def _cmd_sweep(args: argparse.Namespace) -> int:
    from simcompute.report.progress import sweep_progress
    from simcompute.sweep import load_sweep, run_sweep

    spec, base = load_sweep(args.sweep)
    out = Path(args.out) if args.out else Path("runs") / spec.name
    with sweep_progress(f"sweep {spec.name}", enabled=not args.quiet) as update:
        rows = run_sweep(
            spec,
            base,
            out,
            _executor(args),
            resume=args.resume,
            retry_failed=args.retry_failed,
            on_progress=update,
        )
    failed = int((rows["status"] != "ok").sum()) if len(rows) else 0
    if not args.quiet:
        for line in _sweep_answer(rows):
            print(line)
        print(f"{len(rows)} runs ({failed} failed) written to {out}/sweep.parquet and sweep.csv")
    if len(rows) and failed == len(rows):
        print(
            f"simcompute: error: every run of the sweep failed; see the error column in {out}/sweep.csv",
            file=sys.stderr,
        )
        return 1
    return 0


def _sweep_answer(rows) -> list[str]:
    """The fastest, cheapest and lowest-CO2 run of a sweep: of its one workload if it has one
    (idle GPUs left out), else of the total."""
    from simcompute.report.answer import duration, energy, mass, usd

    ok = rows[rows["status"] == "ok"] if len(rows) else rows
    if ok.empty:
        return []
    workloads = {c.split(".", 1)[0] for c in ok.columns if c.endswith(".wall_time_s")} - {"idle", "failed"}
    prefix = f"{workloads.pop()}." if len(workloads) == 1 else ""
    ok = ok.copy()
    for c in [c for c in ok.columns if c.startswith("param.") and isinstance(ok[c].iloc[0], dict)]:
        key = next(iter(ok[c].iloc[0]), None)  # a mapping swept as a whole: named by its first field
        ok[f"{c}.{key}"] = ok[c].map(lambda d, key=key: d.get(key) if isinstance(d, dict) else None)
        ok = ok.drop(columns=c)
    params = [c for c in ok.columns if c.startswith("param.")]
    varied = [c for c in params if ok[c].astype(str).nunique() > 1] or params
    lines = [f"answer for {prefix[:-1] or 'the total'} over {len(ok)} runs:"]
    for label, column in (("fastest", "wall_time_s"), ("cheapest", "cost_usd"), ("lowest CO2", "co2_kg")):
        if prefix + column not in ok:
            continue
        best = ok.loc[ok[prefix + column].astype(float).idxmin()]
        where = ", ".join(f"{c.removeprefix('param.')}={best[c]}" for c in varied)
        lines.append(
            f"  {label}: {where}: {duration(best[prefix + 'wall_time_s'])}, {usd(best[prefix + 'cost_usd'])}, "
            f"{mass(best[prefix + 'co2_kg'])} CO2, {energy(best[prefix + 'facility_energy_kwh'])}"
        )
    return lines


def _add_executor_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", type=int, help="worker processes (default: all cores)")
    p.add_argument("--backend", choices=["local", "ray"], default="local", help="where runs execute")
    p.add_argument("--address", help="Ray cluster address (with --backend ray)")
    p.add_argument("--resume", action="store_true", help="keep finished runs in --out, run only the missing")


CATALOG_COLUMNS = {  # the columns shown in the terminal (at most 120 wide); --csv prints every column
    "accelerators": ["id", "generation", "memory_gib", "hbm_bandwidth_tbps", "tdp_w", "idle_power_w",
                     "peak_tflops_bf16", "peak_tflops_fp8", "list_price_usd_per_gpu_hour"],
    "generations": ["id", "typical_mfu", "gemm_efficiency_max", "memory_efficiency", "attention_efficiency",
                    "training_activity", "decode_activity", "communication_activity"],
    "nodes": ["id", "gpu", "gpus_per_node", "nvlink_bandwidth_gbps", "host_power_idle_w", "host_power_max_w",
              "rated_power_w"],
    "fabrics": ["id", "bandwidth_gbps", "latency_us", "switch_power_w_per_node"],
    "models": ["id", "layers", "hidden", "heads", "kv_heads", "vocab", "ffn_hidden", "max_seq_len", "params"],
    "regions": ["id", "carbon_intensity_g_per_kwh", "electricity_usd_per_kwh", "water_intensity_l_per_kwh", "year"],
    "engines": ["id", "step_overhead_s", "seq_overhead_s", "tp_step_overhead_s", "max_batch_size",
                "max_batch_tokens", "kv_block_tokens", "chunked_prefill", "kv_cache_dtype_quantized"],
}  # fmt: skip


def _cmd_catalog(args: argparse.Namespace) -> int:
    from simcompute.catalog import KINDS, load_catalog
    from simcompute.report.tables import frame_table, make_console

    catalog = load_catalog()
    console = make_console()
    for kind in [args.kind] if args.kind else list(KINDS):
        frame = catalog.table(kind)
        if args.csv:
            print(frame.to_csv(index=False), end="")
            continue
        columns = CATALOG_COLUMNS.get(kind) or [c for c in frame.columns if c != "sources"]
        shown = frame[[c for c in columns if c in frame.columns]]
        if "water_intensity_l_per_kwh" in shown:  # an explicit unknown, never a silent blank or 0
            shown = shown.astype({"water_intensity_l_per_kwh": object}).fillna(
                {"water_intensity_l_per_kwh": "unknown"}
            )
        # one word of a header per line: no header is cut, and columns stay as narrow as their values
        console.print(frame_table(shown.rename(columns=lambda c: c.replace("_", "\n")), kind))
    return 0


def _cmd_carbon_window(args: argparse.Namespace) -> int:
    from simcompute.report.answer import mass, usd
    from simcompute.report.tables import make_console
    from simcompute.units import format_duration, parse_duration
    from simcompute.whatif import best_start

    try:
        window_s, step_s = parse_duration(args.window), parse_duration(args.step)
    except ValueError as exc:
        raise UsageError(f"--window/--step: {exc}") from None
    window = best_start(args.scenario, window_s, step_s, calibration=args.calibration)
    if args.csv:
        print(window.table.to_csv(index=False), end="")
        return 0
    console = make_console()
    best = window.table.loc[window.table["start_offset_s"] == window.best_offset_s].iloc[0]
    now = window.table.iloc[0]
    console.print(
        f"best start: +{format_duration(window.best_offset_s)}: {mass(window.co2_best_kg)} CO2 vs "
        f"{mass(window.co2_now_kg)} now (saves {mass(window.saving_kg)}, {window.saving_share:.1%}); "
        f"electricity {usd(best['energy_cost_usd'])} vs {usd(now['energy_cost_usd'])} now",
        markup=False,
        highlight=False,
    )
    if window.table["co2_kg"].nunique() == 1:
        console.print(
            "note: every start emits the same CO2: the site has a constant carbon intensity. "
            "Give site.grid_profile (an hourly CSV or a bundled name, e.g. us-west-example) to compare starts.",
            style="yellow",
            markup=False,
        )
    return 0


def _cmd_pareto(args: argparse.Namespace) -> int:
    from rich.table import Table

    from simcompute.report.answer import duration, energy, mass, sig
    from simcompute.report.tables import make_console
    from simcompute.whatif import pareto_caps

    try:
        caps = [None] + [float(c) for c in args.caps.split(",")]
    except ValueError:
        raise UsageError(f"--caps must be comma-separated watts, got {args.caps!r}") from None
    table = pareto_caps(args.scenario, caps, calibration=args.calibration)
    if args.csv:
        print(table.to_csv(index=False), end="")
        return 0

    def cap(w: float) -> str:
        return "uncapped" if w != w else f"{w:,.0f} W"

    console = make_console()
    fast = table.loc[table["time_s"].idxmin()]
    frugal = table.loc[table["facility_energy_kwh"].idxmin()]
    console.print(
        f"fastest: {cap(fast['gpu_power_limit_w'])}, {duration(fast['time_s'])}, {energy(fast['facility_energy_kwh'])}; "
        f"least energy: {cap(frugal['gpu_power_limit_w'])}, {duration(frugal['time_s'])}, "
        f"{energy(frugal['facility_energy_kwh'])} "
        f"({frugal['facility_energy_kwh'] / fast['facility_energy_kwh'] - 1:+.0%} energy, "
        f"{frugal['time_s'] / fast['time_s'] - 1:+.0%} time)",
        markup=False,
        highlight=False,
    )
    shown = Table(title="GPU power cap: time vs energy of the workloads")
    for label in ("GPU cap", "time", "IT energy", "facility energy", "CO2", "mean GPU W", "on the front"):
        shown.add_column(label, justify="right")
    for _, row in table.iterrows():
        shown.add_row(
            cap(row["gpu_power_limit_w"]), duration(row["time_s"]), energy(row["it_energy_kwh"]),
            energy(row["facility_energy_kwh"]), mass(row["co2_kg"]), sig(row["mean_gpu_power_w"]),
            "yes" if row["pareto"] else "no",
        )  # fmt: skip
    console.print(shown)
    return 0


def _cmd_plan_serving(args: argparse.Namespace) -> int:
    from rich.table import Table

    from simcompute.report.answer import energy, mass, ms, usd
    from simcompute.report.tables import make_console
    from simcompute.serving_plan import parse_slo, plan_serving

    slo = parse_slo(args.slo)
    gpus = [g.strip() for g in args.gpus.split(",") if g.strip()] if args.gpus else None
    frame = plan_serving(
        args.scenario, slo, workload=args.workload, gpus=gpus, max_replicas=args.max_replicas
    )
    if args.csv:
        print(frame.to_csv(index=False), end="")
        return 0
    console = make_console()
    meeting = frame[frame["meets_slo"]]
    if meeting.empty:
        console.print(f"no GPU type meets {args.slo} with up to {args.max_replicas} replicas", markup=False)
    else:
        best = meeting.loc[meeting["cost_usd_per_1k_queries"].idxmin()]
        console.print(
            f"cheapest option meeting {args.slo}: {best['replicas']:,} x {best['gpu']} "
            f"({best['gpus']:,} GPUs): {usd(best['cost_usd_per_1k_queries'])} per 1,000 queries "
            f"({best['price_from']}), {energy(best['wh_per_1k_queries'] / 1000.0)} and "
            f"{mass(best['co2_g_per_1k_queries'] / 1000.0)} CO2 per 1,000 queries",
            markup=False,
            highlight=False,
        )
    table = Table(title=f"plan-serving: fewest replicas per GPU type meeting {args.slo}; per 1,000 queries")
    for label in ("GPU", "meets", "replicas", *slo, "energy", "CO2", "cost", "GPU-hour price"):
        table.add_column(label.removesuffix("_s"), justify="left" if label == "GPU" else "right")
    for _, row in frame.iterrows():
        price = "unknown" if row["gpu_hour_usd"] != row["gpu_hour_usd"] or row["gpu_hour_usd"] is None else (
            f"${row['gpu_hour_usd']:.2f} ({'scenario' if row['price_from'] == 'scenario' else 'list'})"
        )  # fmt: skip
        table.add_row(
            str(row["gpu"]), "yes" if row["meets_slo"] else "no", f"{row['replicas']:,}",
            *(ms(row[k]) for k in slo), energy(row["wh_per_1k_queries"] / 1000.0),
            mass(row["co2_g_per_1k_queries"] / 1000.0), usd(row["cost_usd_per_1k_queries"]), price,
        )  # fmt: skip
    console.print(table)
    if (frame["price_from"] != "scenario").any():
        console.print(
            "GPU types the scenario does not price are costed at the catalog's on-demand list price "
            "(`simcompute catalog accelerators --csv` for the source and date); unknown prices count electricity only.",
            markup=False,
        )
    return 0


CATALOG_KINDS = ("accelerators", "generations", "nodes", "fabrics", "models", "regions", "engines")
"""The catalog's tables (`simcompute.catalog.KINDS`; a test keeps the two equal). Spelled out
here so that building the parser imports nothing heavy."""


def build_parser() -> argparse.ArgumentParser:
    """The argument parser; it imports no simulator module, so `--help` starts fast."""
    from calibration.options import add_arguments as add_calibrate_arguments
    from simcompute import __version__

    parser = argparse.ArgumentParser(
        prog="simcompute", description="Compute, energy and cost simulator for AI training and inference."
    )
    parser.add_argument("--version", action="version", version=f"simcompute {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    p = sub.add_parser("run", help="simulate a scenario and write its results")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--out", help="output folder (default: runs/<scenario name>/)")
    p.add_argument("--force", action="store_true", help="write into a non-empty output folder")
    p.add_argument("--calibration", help="calibration profile YAML (overrides the scenario's)")
    p.add_argument("--quiet", action="store_true", help="print nothing on success")
    p.add_argument("--no-plot", action="store_true", help="skip the power plot")
    p.add_argument("--samples", type=int, help="Monte Carlo replicas over the scenario's {dist: ...} inputs")
    p.add_argument(
        "--best-case",
        action="store_true",
        help="the achievable step of a tuned stack, no operations (realism: ideal); default: the expected run",
    )
    p.add_argument("--report", action="store_true", help="also write report.html (one self-contained file)")
    _add_executor_options(p)
    p.set_defaults(func=_cmd_run)

    p = sub.add_parser("report", help="write report.html (self-contained HTML) for a run's output folder")
    p.add_argument("run_dir", help="output folder of `simcompute run`")
    p.set_defaults(func=_cmd_report)

    p = sub.add_parser("carbon-window", help="start time within a window that minimises the workloads' CO2")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--window", default="24h", help="latest start, e.g. 48h (default 24h)")
    p.add_argument("--step", default="1h", help="spacing of candidate starts (default 1h)")
    p.add_argument("--calibration", help="calibration profile YAML")
    p.add_argument("--csv", action="store_true", help="print every candidate as CSV")
    p.set_defaults(func=_cmd_carbon_window)

    p = sub.add_parser("pareto", help="sweep GPU power caps: time vs energy (Pareto front)")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--caps", default="200,250,300,350", help="caps in watts, comma-separated")
    p.add_argument("--calibration", help="calibration profile YAML")
    p.add_argument("--csv", action="store_true", help="print the table as CSV")
    p.set_defaults(func=_cmd_pareto)

    p = sub.add_parser("plan", help="search the parallel layouts of each training workload")
    p.add_argument("scenario", help="scenario YAML file")
    p.add_argument("--top", type=int, default=5, help="how many layouts to show (default 5)")
    p.add_argument("--calibration", help="calibration profile YAML (overrides the scenario's)")
    p.set_defaults(func=_cmd_plan)

    p = sub.add_parser(
        "budget", help="from a budget to a plan: model size, tokens, GPUs, training + serving cost"
    )
    p.add_argument("spec", help="budget spec YAML file (e.g. budgets/example.yaml)")
    p.add_argument("--out", help="output folder (default: runs/budget-<name>/)")
    p.add_argument("--top", type=int, default=8, help="frontier rows to print")
    p.set_defaults(func=_cmd_budget)

    p = sub.add_parser(
        "validate", help="compare the model with published training runs and serving measurements"
    )
    p.add_argument("--out", default="runs/validation.csv", help="CSV to write (default runs/validation.csv)")
    p.add_argument(
        "--serving-out",
        default="runs/validation-serving.csv",
        help="CSV of the serving cases (default runs/validation-serving.csv)",
    )
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("calibrate", help="measure this machine with a real PyTorch trainer; write a profile")
    add_calibrate_arguments(p)
    p.set_defaults(func=_cmd_calibrate)

    p = sub.add_parser("sweep", help="run a sweep of what-ifs over a base scenario")
    p.add_argument("sweep", help="sweep YAML file")
    p.add_argument("--out", help="output folder (default: runs/<sweep name>/)")
    p.add_argument("--retry-failed", action="store_true", help="with --resume, rerun the failed points too")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    _add_executor_options(p)
    p.set_defaults(func=_cmd_sweep)

    p = sub.add_parser("plan-serving", help="fewest inference replicas (per GPU type) that meet latency SLOs")
    p.add_argument("scenario", help="scenario YAML file with an inference workload")
    p.add_argument("--slo", required=True, help="objectives, e.g. ttft_p99=0.5s,tpot_p99=0.05s")
    p.add_argument("--gpus", help="GPU types to compare, e.g. a100-80gb,h100-sxm (default: the scenario's)")
    p.add_argument("--workload", help="the inference workload to size (when there are several)")
    p.add_argument("--max-replicas", type=int, default=256, help="give up above this many replicas")
    p.add_argument("--csv", action="store_true", help="print the table as CSV")
    p.set_defaults(func=_cmd_plan_serving)

    p = sub.add_parser("catalog", help="list the bundled hardware, models and regions")
    p.add_argument("kind", nargs="?", choices=CATALOG_KINDS, help="one kind only")
    p.add_argument("--csv", action="store_true", help="print every column as CSV")
    p.set_defaults(func=_cmd_catalog)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace], int] = args.func
    try:
        from simcompute.config.inputs import check_options

        check_options(args)
        return func(args)
    except SimcomputeError as exc:
        from simcompute.errors import error_line

        print(error_line(exc), file=sys.stderr)
        return EXIT_USER_ERROR
    except OSError as exc:  # an output folder or file the user named cannot be written or read
        from simcompute.errors import one_line

        where = f": {exc.filename}" if exc.filename else ""
        print(one_line(f"simcompute: error: {exc.strerror or exc}{where}", 200), file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("simcompute: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
