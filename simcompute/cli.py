"""Command line: `simcompute COMMAND ...` (`simcompute --help` lists the commands).

User mistakes (bad scenario, unknown names, existing output folder) print one line on stderr
and exit with code 2; they never show a traceback.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from simcompute.errors import SimcomputeError

EXIT_USER_ERROR = 2


class UsageError(SimcomputeError):
    """A command-line option that cannot be honoured."""


def _cmd_run(args: argparse.Namespace) -> int:
    from simcompute.api import run
    from simcompute.config import load_scenario
    from simcompute.report.plots import plot_power
    from simcompute.report.tables import make_console, print_summary

    scenario = load_scenario(args.scenario)
    out = Path(args.out) if args.out else Path("runs") / scenario.name
    if args.samples:
        return _run_samples(args, out)
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not args.force:
        raise UsageError(f"output folder {out} exists and is not empty; use --force to overwrite it")
    result = run(scenario, calibration=args.calibration)
    paths = result.write(out)
    if not args.no_plot:
        paths.append(plot_power(result.timeseries, out / "power.png", f"{scenario.name}: power"))
    console = make_console()
    if not args.quiet:
        print_summary(result.summary, f"simcompute: {scenario.name}", console)
        if result.metadata.get("calibration"):
            console.print(f"calibration profile: {result.metadata['calibration']}")
        console.print(f"results written to {out}/ ({len(paths)} files)")
    return 0


def _cmd_plan(args: argparse.Namespace) -> int:
    import pandas as pd

    from simcompute.catalog import load_catalog
    from simcompute.config import TrainingWorkload, load_scenario
    from simcompute.profile import load_profile
    from simcompute.report.tables import frame_table, make_console
    from simcompute.resolve.cluster import resolve_cluster
    from simcompute.resolve.training import plan_layouts

    scenario = load_scenario(args.scenario)
    catalog = load_catalog()
    path = args.calibration or scenario.calibration
    profile = load_profile(path) if path else None
    cluster = resolve_cluster(scenario, catalog, profile)
    console = make_console()
    for i, workload in enumerate(scenario.workloads):
        if not isinstance(workload, TrainingWorkload):
            continue
        candidates = plan_layouts(i, workload, cluster, catalog, profile)
        fitting = [c for c in candidates if c.fits]
        rows = [
            {"layout": c.layout.describe(), "step_time_s": c.estimate.step_time_s, "mfu": c.estimate.mfu,
             "tokens_per_s": c.estimate.tokens_per_s, "memory_gb": c.estimate.memory.total_gb,
             "gpu_hours": c.estimate.step_time_s * workload.gpus / 3600.0
             * -(-int(workload.tokens) // c.estimate.tokens_per_step)}
            for c in fitting[: args.top]
        ]  # fmt: skip
        title = (f"{workload.name}: {len(fitting)} of {len(candidates)} valid layouts fit "
                 f"{cluster.accelerator.id} ({cluster.accelerator.memory_gb:g} GB); fastest first")  # fmt: skip
        console.print(frame_table(pd.DataFrame(rows), title) if rows else f"{title}: none fits")
    return 0


def _cmd_validate(args: argparse.Namespace) -> int:
    from simcompute.report.tables import frame_table, make_console
    from simcompute.validate import run_validation

    report = run_validation()
    path = report.write_csv(args.out)
    table = report.table
    shown = table[
        ["case", "metric", "published", "predicted", "error_pct", "mfu", "layout", "layout_from", "skipped"]
    ]
    console = make_console()
    console.print(frame_table(shown, "simcompute validate: published training runs vs prediction"))
    console.print(
        f"{len(report.predicted)} cases predicted, {int((table['skipped'] != '').sum())} skipped; "
        f"median |error| {report.median_abs_error_pct:.1f}%, max |error| {report.max_abs_error_pct:.1f}%; "
        f"written to {path}"
    )
    return 0


def _cmd_calibrate(args: argparse.Namespace) -> int:
    try:
        import torch  # noqa: F401  (the calibrate extra)
    except ImportError:
        raise UsageError("calibration needs PyTorch: pip install -e .[calibrate]") from None
    from calibration.cli import run as run_calibration

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
    from simcompute.report.tables import frame_table, make_console
    from simcompute.uncertainty import monte_carlo

    if args.calibration:
        raise UsageError("--calibration cannot be combined with --samples; set calibration: in the scenario")
    raw = yaml.safe_load(Path(args.scenario).read_text(encoding="utf-8"))
    with sweep_progress(f"Monte Carlo {raw.get('name', '')}", enabled=not args.quiet) as update:
        mc = monte_carlo(raw, args.samples, out, _executor(args), resume=args.resume, on_progress=update)
    mc.write(out)
    if not args.quiet:
        console = make_console()
        shown = mc.intervals[~mc.intervals["column"].str.contains(r"\.")]
        console.print(frame_table(shown, f"{args.samples} Monte Carlo samples: intervals of the total row"))
        console.print(frame_table(mc.drivers.head(10), "what drives the spread (Spearman rank correlation)"))
        console.print(f"results written to {out}/ (samples.parquet, intervals.csv, drivers.csv)")
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
        print(f"{len(rows)} runs ({failed} failed) written to {out}/sweep.parquet and sweep.csv")
    if len(rows) and failed == len(rows):
        print(
            f"simcompute: error: every run of the sweep failed; see the error column in {out}/sweep.csv",
            file=sys.stderr,
        )
        return 1
    return 0


def _add_executor_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--jobs", type=int, help="worker processes (default: all cores)")
    p.add_argument("--backend", choices=["local", "ray"], default="local", help="where runs execute")
    p.add_argument("--address", help="Ray cluster address (with --backend ray)")
    p.add_argument("--resume", action="store_true", help="keep finished runs in --out, run only the missing")


CATALOG_COLUMNS = {
    "accelerators": ["id", "generation", "memory_gb", "hbm_bandwidth_tbps", "tdp_w", "idle_power_w",
                     "peak_tflops_bf16", "peak_tflops_fp16", "peak_tflops_fp8"],
    "generations": None,
    "nodes": ["id", "gpu", "gpus_per_node", "nvlink_bandwidth_gbps", "host_power_idle_w", "host_power_max_w",
              "rated_power_w"],
    "fabrics": ["id", "bandwidth_gbps", "latency_us", "switch_power_w_per_node"],
    "models": ["id", "layers", "hidden", "heads", "kv_heads", "vocab", "ffn_hidden", "max_seq_len", "params"],
    "regions": ["id", "carbon_intensity_g_per_kwh", "electricity_usd_per_kwh", "water_intensity_l_per_kwh", "year"],
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
        console.print(frame_table(frame[[c for c in columns if c in frame.columns]], kind))
    return 0


def _cmd_carbon_window(args: argparse.Namespace) -> int:
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
    make_console().print(
        f"best start: +{format_duration(window.best_offset_s)}: {window.co2_best_kg / 1000:,.3g} t CO2 vs "
        f"{window.co2_now_kg / 1000:,.3g} t now (saves {window.saving_kg / 1000:,.3g} t, {window.saving_share:.1%})"
    )
    return 0


def _cmd_pareto(args: argparse.Namespace) -> int:
    from simcompute.report.tables import frame_table, make_console
    from simcompute.whatif import pareto_caps

    try:
        caps = [None] + [float(c) for c in args.caps.split(",")]
    except ValueError:
        raise UsageError(f"--caps must be comma-separated watts, got {args.caps!r}") from None
    table = pareto_caps(args.scenario, caps, calibration=args.calibration)
    if args.csv:
        print(table.to_csv(index=False), end="")
    else:
        make_console().print(frame_table(table, "GPU power cap: time vs energy"))
    return 0


def _cmd_plan_serving(args: argparse.Namespace) -> int:
    from simcompute.report.tables import frame_table, make_console
    from simcompute.serving_plan import parse_slo, plan_serving

    slo = parse_slo(args.slo)
    gpus = [g.strip() for g in args.gpus.split(",") if g.strip()] if args.gpus else None
    frame = plan_serving(
        args.scenario, slo, workload=args.workload, gpus=gpus, max_replicas=args.max_replicas
    )
    if args.csv:
        print(frame.to_csv(index=False), end="")
    else:
        make_console().print(frame_table(frame, f"plan-serving: {args.slo}"))
    return 0


def build_parser() -> argparse.ArgumentParser:
    from simcompute import __version__
    from simcompute.catalog import KINDS

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
    _add_executor_options(p)
    p.set_defaults(func=_cmd_run)

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

    p = sub.add_parser("validate", help="compare the training model with published training runs")
    p.add_argument("--out", default="runs/validation.csv", help="CSV to write (default runs/validation.csv)")
    p.set_defaults(func=_cmd_validate)

    p = sub.add_parser("calibrate", help="measure this machine with a real PyTorch trainer; write a profile")
    from calibration.cli import add_arguments as add_calibrate_arguments

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
    p.add_argument("kind", nargs="?", choices=list(KINDS), help="one kind only")
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
