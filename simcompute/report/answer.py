"""The answer of a run in human units, for the terminal and the HTML report (no heavy imports).

Numbers are rounded to three significant figures and never printed in scientific notation;
the result files keep full precision.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import pandas as pd

IDLE_DOMINATES_SHARE = 0.5
"""Idle (and failed) GPU-hours above this share of the total get a note under the answer."""


def sig(value: float, digits: int = 3) -> str:
    """`value` with `digits` significant figures, thousands separated, never in e-notation."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    value = float(value)
    if value == 0 or not math.isfinite(value):
        return f"{value:g}"
    decimals = max(0, digits - 1 - math.floor(math.log10(abs(value))))
    return f"{value:,.{decimals}f}"


def _scaled(value: float, units: list[tuple[float, str]]) -> str:
    """`value` in the largest unit it reaches (units ascending by size; the first is the floor)."""
    if value is None or math.isnan(value):
        return "-"
    size, name = units[0]
    for s, n in units:
        if abs(value) >= s:
            size, name = s, n
    return f"{sig(value / size)} {name}"


def energy(kwh: float) -> str:
    """Energy from kWh: Wh, kWh, MWh or GWh."""
    return _scaled(kwh, [(1e-3, "Wh"), (1.0, "kWh"), (1e3, "MWh"), (1e6, "GWh")])


def mass(kg: float) -> str:
    """CO2 mass from kg: g, kg or t."""
    return _scaled(kg, [(1e-3, "g"), (1.0, "kg"), (1e3, "t")])


def water(litres: float) -> str:
    """Water from litres: L or m3."""
    return _scaled(litres, [(1.0, "L"), (1e3, "m3")])


def duration(seconds: float) -> str:
    """Duration: ms, s, min, h or d."""
    return _scaled(seconds, [(1e-3, "ms"), (1.0, "s"), (60.0, "min"), (3600.0, "h"), (86400.0, "d")])


def ms(*seconds: float) -> str:
    """Latencies in milliseconds, `a / b ms`."""
    return " / ".join(sig(s * 1000.0) for s in seconds) + " ms"


def usd(amount: float) -> str:
    """Money: whole dollars from $100, three significant figures below."""
    if amount is None or math.isnan(amount):
        return "-"
    return f"${amount:,.0f}" if abs(amount) >= 100 else f"${sig(amount)}"


@dataclass
class Answer:
    """The headline of a run: figures (label, value) and sentences, in human units."""

    title: str
    figures: list[tuple[str, str]]
    lines: list[str]
    notes: list[str]


def _list_price(gpu: str) -> float | None:
    """The catalog's on-demand list price of a GPU type per GPU-hour (None if unknown)."""
    from simcompute.catalog import load_catalog
    from simcompute.catalog.errors import CatalogError

    try:
        return load_catalog().accelerator(gpu).list_price_usd_per_gpu_hour
    except CatalogError:
        return None


def _layouts(jobs: pd.DataFrame) -> dict[str, str]:
    if "layout" not in jobs or "workload" not in jobs:
        return {}
    return {str(w): str(v) for w, v in zip(jobs["workload"], jobs["layout"]) if isinstance(v, str)}


def workload_lines(summary: pd.DataFrame, jobs: pd.DataFrame, gpu: str) -> list[str]:
    """One or more sentences per workload: the whole-run answer of training jobs, latencies,
    throughput and per-query figures of services."""
    layouts = _layouts(jobs)
    lines = []
    for _, row in summary.iterrows():
        kind, name = row["kind"], row["workload"]
        if kind == "training":
            done = "" if row["completed"] in (True, 1) else " (not finished)"
            tokens = f"{sig(row['tokens'] / 1e9)}B tokens" if row["tokens"] == row["tokens"] else "work"
            mfu = f", MFU {row['mfu']:.1%}" if row["mfu"] == row["mfu"] else ""
            lines.append(
                f"{name}: {tokens} on {row['gpus']:,.0f} x {gpu} in {duration(row['wall_time_s'])}{done}{mfu}; "
                f"{sig(row['gpu_hours'])} GPU-h, {energy(row['facility_energy_kwh'])}, "
                f"{mass(row['co2_kg'])} CO2, {usd(row['cost_usd'])}"
            )
            if name in layouts:
                lines.append(f"  layout: {layouts[name]}")
        elif kind == "inference":
            lines.append(
                f"{name}: {row['requests_completed']:,.0f} requests in {duration(row['wall_time_s'])} on "
                f"{row['gpus']:,.0f} x {gpu}: {sig(row['requests_per_s'])} req/s, "
                f"{sig(row['tokens_per_s'])} output tokens/s, GPUs busy {row['gpu_utilization']:.0%}"
            )
            lines.append(
                "  latency p50 / p99: "
                f"TTFT {ms(row['ttft_p50_s'], row['ttft_p99_s'])}, "
                f"TPOT {ms(row['tpot_p50_s'], row['tpot_p99_s'])}, "
                f"E2E {ms(row['e2e_p50_s'], row['e2e_p99_s'])}"
            )
            lines.append(
                f"  per query: {energy(row['wh_per_query'] / 1000.0)}, "
                f"{mass(row['co2_g_per_1k_queries'] / 1e6)} CO2, {usd(row['cost_usd_per_1k_queries'] / 1000.0)}; "
                f"per 1,000 queries: {energy(row['wh_per_query'])}, "
                f"{mass(row['co2_g_per_1k_queries'] / 1000.0)} CO2, {usd(row['cost_usd_per_1k_queries'])}"
            )
    return lines


def answer(summary: pd.DataFrame, jobs: pd.DataFrame, metadata: dict, title: str | None = None) -> Answer:
    """The headline of a run from its summary, jobs and metadata (a `Result`'s, or read back)."""
    total = summary.loc[summary["workload"] == "total"].iloc[0]
    gpu = str(metadata.get("gpu", "GPU"))
    hardware, electricity = float(total["hardware_cost_usd"]), float(total["energy_cost_usd"])
    offsite_known = metadata.get("water_offsite_known", True)
    figures = [
        ("wall time", duration(total["wall_time_s"])),
        ("GPU-hours", sig(total["gpu_hours"])),
        ("energy at the meter", energy(total["facility_energy_kwh"])),
        ("CO2 (operational)", mass(total["co2_kg"])),
        ("cost", usd(total["cost_usd"])),
        ("water" if offsite_known else "water (on-site only; off-site unknown)", water(total["water_l"])),
    ]
    pue = total["mean_pue"]
    lines = workload_lines(summary[summary["kind"].isin(["training", "inference"])], jobs, gpu)
    lines.append(
        f"total over {duration(total['wall_time_s'])} ({total['gpus']:,.0f} GPUs): "
        f"{sig(total['gpu_hours'])} GPU-h; {energy(total['facility_energy_kwh'])} at the meter "
        f"({energy(total['it_energy_kwh'])} IT x PUE {sig(pue)})"
    )
    lines.append(
        f"  {mass(total['co2_kg'])} CO2 (+{mass(total['embodied_co2_kg'])} embodied); "
        f"{water(total['water_l'])} water; cost {usd(total['cost_usd'])} = {usd(hardware)} hardware "
        f"+ {usd(electricity)} electricity"
    )
    notes = []
    if hardware == 0:
        price = _list_price(gpu)
        at_list = (
            f"; at the {gpu} on-demand list price (${price:.2f}/GPU-h, catalog) hardware would add "
            f"{usd(price * float(total['gpu_hours']))}"
            if price
            else ""
        )
        notes.append(
            "cost is electricity only: the scenario gives no GPU-hour price "
            f"(set cluster.gpu_hour_usd, or cluster.owned){at_list}"
        )
    pools = summary[summary["kind"].isin(["idle", "failed"])]
    idle_h = float(pools["gpu_hours"].sum())
    if total["gpu_hours"] > 0 and idle_h / total["gpu_hours"] > IDLE_DOMINATES_SHARE:
        idle_kwh = float(pools["facility_energy_kwh"].sum())
        share_e = idle_kwh / total["facility_energy_kwh"] if total["facility_energy_kwh"] > 0 else 0.0
        notes.append(
            f"idle time dominates the total: {idle_h / total['gpu_hours']:.0%} of the GPU-hours and "
            f"{share_e:.0%} of the energy are GPUs no workload holds (see the workload rows for the work alone)"
        )
    if not offsite_known:
        notes.append(
            f"off-site water (power generation) is unknown for region {metadata.get('region')}: "
            "the water figure is on-site cooling water only"
        )
    return Answer(title or f"simcompute: {metadata.get('scenario', '')}", figures, lines, notes)
