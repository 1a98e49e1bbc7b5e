"""Aggregation of run records into the result DataFrames (DESIGN.md section 3), and writers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simcompute.engine.cluster import IDLE_OWNER
from simcompute.engine.inference.metrics import latency_summary, requests_frame
from simcompute.integrate import default_interval, interval_edges, interval_means
from simcompute.records import Records
from simcompute.resolve import ResolvedScenario

J_PER_KWH = 3.6e6

SUMMARY_COLUMNS = [
    "workload", "kind", "gpus", "start_s", "end_s", "wall_time_s", "gpu_hours", "tokens",
    "it_energy_kwh", "facility_energy_kwh", "co2_kg", "water_l", "water_onsite_l",
    "water_offsite_l", "energy_cost_usd", "gpu_cost_usd", "cost_usd", "mfu",
    "mean_gpu_power_w", "completed",
]  # fmt: skip
INFERENCE_COLUMNS = [
    "requests", "requests_completed", "ttft_p50_s", "ttft_p90_s", "ttft_p99_s", "tpot_p50_s",
    "tpot_p90_s", "tpot_p99_s", "e2e_p50_s", "e2e_p90_s", "e2e_p99_s", "requests_per_s",
    "tokens_per_s", "gpu_utilization", "energy_per_request_j", "energy_per_1k_output_tokens_j",
    "wh_per_query", "co2_g_per_1k_queries", "water_l_per_1k_queries", "cost_usd_per_1k_queries",
]  # fmt: skip


@dataclass
class Result:
    """The outputs of one run, as pandas DataFrames (columns carry their units)."""

    scenario_name: str
    summary: pd.DataFrame
    timeseries: pd.DataFrame
    jobs: pd.DataFrame
    events: pd.DataFrame
    power: pd.DataFrame
    requests: pd.DataFrame = field(default_factory=pd.DataFrame)
    metadata: dict[str, Any] = field(default_factory=dict)

    TABLES = ("summary", "timeseries", "jobs", "requests", "events", "power")

    def total(self, column: str) -> float:
        """A column of the summary's `total` row."""
        return float(self.summary.loc[self.summary["workload"] == "total", column].iloc[0])

    def write(self, out_dir: str | Path, formats: tuple[str, ...] = ("csv", "parquet")) -> list[Path]:
        """Write every table as CSV and Parquet, plus `metadata.json`; returns the paths."""
        out = Path(out_dir)
        out.mkdir(parents=True, exist_ok=True)
        written = []
        for name in self.TABLES:
            frame = getattr(self, name)
            if "csv" in formats and name != "power":
                path = out / f"{name}.csv"
                frame.to_csv(path, index=False)
                written.append(path)
            if "parquet" in formats:
                path = out / f"{name}.parquet"
                frame.to_parquet(path, index=False)
                written.append(path)
        meta = out / "metadata.json"
        meta.write_text(json.dumps(self.metadata, indent=2, default=str) + "\n")
        written.append(meta)
        return written


def _owner_energy(power: pd.DataFrame, owners: list[str]) -> pd.DataFrame:
    """Per owner: IT energy (J) by component, GPU-seconds held, first and last time."""
    dur = power["t_end_s"] - power["t_start_s"]
    frame = pd.DataFrame(
        {
            "owner": power["owner"].astype(str),
            "gpu_j": power["gpu_power_w"] * dur,
            "host_j": power["host_power_w"] * dur,
            "network_j": power["network_power_w"] * dur,
            "gpu_s": power["gpus"] * dur,
        }
    )
    sums = frame.groupby("owner", observed=False).sum().reindex(owners).fillna(0.0)
    sums["it_j"] = sums["gpu_j"] + sums["host_j"] + sums["network_j"]
    return sums


def build_summary(resolved: ResolvedScenario, records: Records, power: pd.DataFrame) -> pd.DataFrame:
    site, cluster = resolved.site, resolved.cluster
    energy = _owner_energy(power, records.owners)
    pue = site.facility.pue
    jobs = {row["workload"]: row for row in records.jobs}
    rows = []
    ordered = [o for o in records.owners if o != IDLE_OWNER] + [IDLE_OWNER]
    for owner in ordered:
        e = energy.loc[owner]
        job = jobs.get(owner)
        if job is not None:
            start, end = job["start_s"], job["end_s"]
            row = {
                "workload": owner,
                "kind": job["kind"],
                "gpus": job["gpus"],
                "start_s": start,
                "end_s": end,
                "wall_time_s": (end - start) if start is not None else 0.0,
                "tokens": job["tokens_trained"],
                "mfu": job["mfu"],
                "completed": job["completed"],
            }
        else:  # the idle pool
            row = {"workload": owner, "kind": IDLE_OWNER, "gpus": np.nan, "start_s": 0.0,
                   "end_s": records.end_s, "wall_time_s": records.end_s, "tokens": np.nan,
                   "mfu": np.nan, "completed": np.nan}  # fmt: skip
        row["gpu_hours"] = e["gpu_s"] / 3600.0
        row["it_energy_kwh"] = e["it_j"] / J_PER_KWH
        row["mean_gpu_power_w"] = e["gpu_j"] / e["gpu_s"] if e["gpu_s"] > 0 else np.nan
        rows.append(row)
    frame = pd.DataFrame(rows)
    frame["facility_energy_kwh"] = frame["it_energy_kwh"] * pue
    frame["co2_kg"] = site.grid.co2_kg(frame["facility_energy_kwh"])
    frame["water_onsite_l"] = frame["it_energy_kwh"] * site.wue_l_per_kwh
    frame["water_offsite_l"] = site.grid.water_l(frame["facility_energy_kwh"])
    frame["water_l"] = frame["water_onsite_l"] + frame["water_offsite_l"]
    frame["energy_cost_usd"] = site.grid.energy_cost_usd(frame["facility_energy_kwh"])
    frame["gpu_cost_usd"] = frame["gpu_hours"] * cluster.gpu_hour_usd
    frame["cost_usd"] = frame["energy_cost_usd"] + frame["gpu_cost_usd"]
    additive = ["gpu_hours", "it_energy_kwh", "facility_energy_kwh", "co2_kg", "water_l", "water_onsite_l",
                "water_offsite_l", "energy_cost_usd", "gpu_cost_usd", "cost_usd"]  # fmt: skip
    total = {c: frame[c].sum() for c in additive}
    gpu_s_total = energy["gpu_s"].sum()
    total.update(
        workload="total", kind="total", gpus=cluster.total_gpus, start_s=0.0, end_s=records.end_s,
        wall_time_s=records.end_s, tokens=frame["tokens"].sum(min_count=1), mfu=np.nan,
        mean_gpu_power_w=energy["gpu_j"].sum() / gpu_s_total if gpu_s_total > 0 else np.nan,
        completed=bool(all(j["completed"] for j in records.jobs)),
    )  # fmt: skip
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    _add_inference_columns(frame, records, jobs)
    return frame[SUMMARY_COLUMNS + INFERENCE_COLUMNS]


def _add_inference_columns(frame: pd.DataFrame, records: Records, jobs: dict[str, dict[str, Any]]) -> None:
    """Latency percentiles, throughput and per-query energy/carbon/water/cost of services.

    Per-query figures divide the service's whole energy (idle GPUs included) by its completed
    requests; `wh_per_query` uses facility energy (x PUE), `energy_per_request_j` IT energy.
    """
    for column in INFERENCE_COLUMNS:
        frame[column] = np.nan
    for name, cols in records.requests.items():
        i = frame.index[frame["workload"] == name][0]
        row = frame.loc[i]
        stats = latency_summary(requests_frame(name, cols), row["wall_time_s"])
        job = jobs[name]
        done = stats["requests_completed"]
        per_query = 1.0 / done if done else np.nan
        stats["gpu_utilization"] = (
            job["busy_replica_s"] / (job["replicas"] * row["wall_time_s"])
            if row["wall_time_s"] > 0
            else np.nan
        )
        it_j = row["it_energy_kwh"] * J_PER_KWH
        stats["energy_per_request_j"] = it_j * per_query
        tokens = stats.pop("output_tokens")
        stats["energy_per_1k_output_tokens_j"] = it_j / tokens * 1000.0 if tokens else np.nan
        stats["wh_per_query"] = row["facility_energy_kwh"] * 1000.0 * per_query
        stats["co2_g_per_1k_queries"] = row["co2_kg"] * 1000.0 * per_query * 1000.0
        stats["water_l_per_1k_queries"] = row["water_l"] * per_query * 1000.0
        stats["cost_usd_per_1k_queries"] = row["cost_usd"] * per_query * 1000.0
        for key, value in stats.items():
            frame.loc[i, key] = value


def build_requests(records: Records) -> pd.DataFrame:
    """One row per request of every inference workload (empty without services)."""
    frames = [requests_frame(name, cols) for name, cols in records.requests.items()]
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()


def build_timeseries(resolved: ResolvedScenario, records: Records, power: pd.DataFrame) -> pd.DataFrame:
    """Regular intervals; power columns hold each interval's exact mean."""
    end = records.end_s
    interval = resolved.scenario.output.timeseries_interval or default_interval(end)
    edges = interval_edges(end, interval) if end > 0 else np.array([0.0, 0.0])
    busy = power["owner"].astype(str) != IDLE_OWNER
    components = np.column_stack(
        [
            power["gpu_power_w"].to_numpy(),
            power["host_power_w"].to_numpy(),
            power["network_power_w"].to_numpy(),
            np.where(busy, power["gpus"].to_numpy(), 0.0),
        ]
    )
    if end > 0:
        means = interval_means(power["t_start_s"].to_numpy(), power["t_end_s"].to_numpy(), components, edges)
    else:
        means = np.zeros((0, components.shape[1]))
    t = edges[:-1]
    pue = resolved.site.facility.pue_at(t)
    it_kw = means[:, :3].sum(axis=1) / 1000.0
    grid = resolved.site.grid
    return pd.DataFrame(
        {
            "t_s": t,
            "duration_s": np.diff(edges),
            "gpu_power_kw": means[:, 0] / 1000.0,
            "host_power_kw": means[:, 1] / 1000.0,
            "network_power_kw": means[:, 2] / 1000.0,
            "it_power_kw": it_kw,
            "facility_power_kw": it_kw * pue,
            "pue": pue,
            "gpus_busy": means[:, 3],
            "carbon_intensity_g_per_kwh": np.full(len(t), grid.carbon_intensity_g_per_kwh),
            "price_usd_per_kwh": np.full(len(t), grid.electricity_usd_per_kwh),
        }
    )


def build_result(
    resolved: ResolvedScenario, records: Records, metadata: dict[str, Any] | None = None
) -> Result:
    power = records.power_frame()
    return Result(
        scenario_name=resolved.scenario.name,
        summary=build_summary(resolved, records, power),
        timeseries=build_timeseries(resolved, records, power),
        jobs=pd.DataFrame(records.jobs),
        events=records.events_frame(),
        power=power,
        requests=build_requests(records),
        metadata=metadata or {},
    )
