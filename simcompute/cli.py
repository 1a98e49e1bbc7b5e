"""Command line: `simcompute run | catalog`.

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
    if out.exists() and (not out.is_dir() or any(out.iterdir())) and not args.force:
        raise UsageError(f"output folder {out} exists and is not empty; use --force to overwrite it")
    result = run(scenario, calibration=args.calibration)
    paths = result.write(out)
    if not args.no_plot:
        paths.append(plot_power(result.timeseries, out / "power.png", f"{scenario.name}: power"))
    console = make_console()
    if not args.quiet:
        print_summary(result.summary, f"simcompute: {scenario.name}", console)
        console.print(f"results written to {out}/ ({len(paths)} files)")
    return 0


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
    p.set_defaults(func=_cmd_run)

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
        return func(args)
    except SimcomputeError as exc:
        print(f"simcompute: error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        print("simcompute: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
