"""Aggregation of run records into the result DataFrames (README, "Outputs"), and writers."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simcompute.engine.cluster import FAILED_OWNER, IDLE_OWNER
from simcompute.engine.inference.metrics import latency_summary, requests_frame
from simcompute.integrate import default_interval, interval_edges, interval_means
from simcompute.power.accounting import SITE_SERIES, Accounting, account
from simcompute.realism.residual import load_residuals
from simcompute.realism.wholerun import DEFAULT_SAMPLES, INTERVAL_COLUMNS, quantiles, relative_samples
from simcompute.records import Records
from simcompute.resolve import ResolvedScenario

J_PER_KWH = 3.6e6

SUMMARY_COLUMNS = [
    "workload", "kind", "gpus", "start_s", "end_s", "wall_time_s", "gpu_hours", "tokens",
    "it_energy_kwh", "facility_energy_kwh", "co2_kg", "water_l", "water_onsite_l",
    "water_offsite_l", "energy_cost_usd", "gpu_cost_usd", "cost_usd", "mfu",
    "mean_gpu_power_w", "completed", "operational_co2_kg", "marginal_co2_kg", "embodied_co2_kg",
    "total_co2_kg", "cooling_energy_kwh", "hardware_cost_usd", "mean_pue",
]  # fmt: skip
INTERVAL_SUMMARY_COLUMNS = [f"{c}_p{q}" for c in INTERVAL_COLUMNS for q in (10, 50, 90)]
INFERENCE_COLUMNS = [
    "requests", "requests_completed", "ttft_p50_s", "ttft_p90_s", "ttft_p99_s", "tpot_p50_s",
    "tpot_p90_s", "tpot_p99_s", "e2e_p50_s", "e2e_p90_s", "e2e_p99_s", "requests_per_s",
    "tokens_per_s", "output_tokens_per_s_per_gpu", "gpu_utilization", "energy_per_request_j",
    "energy_per_1k_output_tokens_j",
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
    cluster: pd.DataFrame = field(default_factory=pd.DataFrame)

    TABLES = ("summary", "timeseries", "jobs", "requests", "events", "power", "cluster")

    def total(self, column: str) -> float:
        """A column of the summary's `total` row, e.g. `total("co2_kg")`.

        An unknown column raises a `KeyError` that names the closest columns.
        """
        if column not in self.summary.columns:
            import difflib

            numeric = [c for c in self.summary.columns if c not in ("workload", "kind")]
            close = difflib.get_close_matches(column, numeric, n=3, cutoff=0.5)
            close += [c for c in numeric if c.startswith(column) and c not in close][: 3 - len(close)]
            hint = (
                f"did you mean {', '.join(repr(c) for c in close)}?"
                if close
                else f"columns: {', '.join(numeric)}"
            )
            raise KeyError(f"no summary column {column!r}; {hint}")
        return float(self.summary.loc[self.summary["workload"] == "total", column].iloc[0])

    def write(self, out_dir: str | Path, formats: tuple[str, ...] = ("csv", "parquet")) -> list[Path]:
        """Write the tables into `out_dir` (created if missing) and return the paths written.

        Each of `TABLES` becomes `<name>.csv` and/or `<name>.parquet` per `formats` (`power`,
        the raw piecewise-constant power log, only as Parquet: it is large); empty tables keep
        their header. `metadata.json` (scenario, seed, version, hardware, capacity) is always
        written. Existing files of the same names are overwritten. `simcompute run` calls it,
        then adds `power.png` (and `report.html` with `--report`).
        """
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
    dur = power["t_end_s"].to_numpy() - power["t_start_s"].to_numpy()
    frame = pd.DataFrame(
        {
            "gpu_j": power["gpu_power_w"].to_numpy() * dur,
            "host_j": power["host_power_w"].to_numpy() * dur,
            "network_j": power["network_power_w"].to_numpy() * dur,
            "gpu_s": power["gpus"].to_numpy() * dur,
        },
        copy=False,
    )
    del dur
    if len(power):  # group by the integer owner code, not by per-row owner names
        names = power["owner"].cat.categories
        sums = frame.groupby(power["owner"].cat.codes.to_numpy()).sum()
        sums.index = pd.Index(names[sums.index], name="owner")
    else:
        sums = frame.groupby(np.zeros(0, dtype=np.int8)).sum()
    sums = sums.reindex(owners).fillna(0.0)
    sums["it_j"] = sums["gpu_j"] + sums["host_j"] + sums["network_j"]
    return sums


def build_summary(
    resolved: ResolvedScenario, records: Records, power: pd.DataFrame, acc: Accounting | None = None
) -> pd.DataFrame:
    site, cluster = resolved.site, resolved.cluster
    energy = _owner_energy(power, records.owners)
    energy_rows = energy.to_dict("index")
    acc = acc or account(site, power, records.owners, records.end_s)
    by_owner = {name: i for i, name in enumerate(acc.owners)}
    jobs = {row["workload"]: row for row in records.jobs}
    rows = []
    pools = [o for o in (IDLE_OWNER, FAILED_OWNER) if o in records.owners]
    if FAILED_OWNER in pools and energy_rows[FAILED_OWNER]["gpu_s"] == 0:
        pools.remove(FAILED_OWNER)  # failures were possible but no node failed: no row
    ordered = [o for o in records.owners if o not in (IDLE_OWNER, FAILED_OWNER)] + pools
    for owner in ordered:
        e = energy_rows[owner]
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
        else:  # the idle pool, or GPUs on failed nodes
            row = {"workload": owner, "kind": owner, "gpus": np.nan, "start_s": 0.0,
                   "end_s": records.end_s, "wall_time_s": records.end_s, "tokens": np.nan,
                   "mfu": np.nan, "completed": np.nan}  # fmt: skip
        row["gpu_hours"] = e["gpu_s"] / 3600.0
        row["it_energy_kwh"] = e["it_j"] / J_PER_KWH
        row["mean_gpu_power_w"] = e["gpu_j"] / e["gpu_s"] if e["gpu_s"] > 0 else np.nan
        rows.append(row)
    frame = pd.DataFrame(rows)
    idx = [by_owner[o] for o in ordered]
    frame["facility_energy_kwh"] = acc.facility_j[idx] / J_PER_KWH
    frame["cooling_energy_kwh"] = acc.cooling_j[idx] / J_PER_KWH
    frame["operational_co2_kg"] = acc.co2_kg[idx]
    frame["co2_kg"] = frame["operational_co2_kg"]
    frame["marginal_co2_kg"] = acc.marginal_co2_kg[idx]
    embodied = cluster.embodied
    frame["embodied_co2_kg"] = frame["gpu_hours"] * (embodied.kg_per_gpu_hour if embodied else 0.0)
    frame["total_co2_kg"] = frame["operational_co2_kg"] + frame["embodied_co2_kg"]
    frame["water_onsite_l"] = acc.water_onsite_l[idx]
    frame["water_offsite_l"] = acc.water_offsite_l[idx]
    frame["water_l"] = frame["water_onsite_l"] + frame["water_offsite_l"]
    frame["energy_cost_usd"] = acc.energy_cost_usd[idx]
    frame["hardware_cost_usd"] = frame["gpu_hours"] * cluster.hardware_usd_per_gpu_hour
    frame["gpu_cost_usd"] = frame["hardware_cost_usd"]
    frame["cost_usd"] = frame["energy_cost_usd"] + frame["hardware_cost_usd"]
    frame["mean_pue"] = _ratio(frame["facility_energy_kwh"], frame["it_energy_kwh"])
    additive = ["gpu_hours", "it_energy_kwh", "facility_energy_kwh", "co2_kg", "water_l", "water_onsite_l",
                "water_offsite_l", "energy_cost_usd", "gpu_cost_usd", "cost_usd", "operational_co2_kg",
                "marginal_co2_kg", "embodied_co2_kg", "total_co2_kg", "cooling_energy_kwh",
                "hardware_cost_usd"]  # fmt: skip
    total = {c: frame[c].sum(min_count=1) for c in additive}
    gpu_s_total = energy["gpu_s"].sum()
    total.update(
        workload="total", kind="total", gpus=cluster.total_gpus, start_s=0.0, end_s=records.end_s,
        wall_time_s=records.end_s, tokens=frame["tokens"].sum(min_count=1), mfu=np.nan,
        mean_gpu_power_w=energy["gpu_j"].sum() / gpu_s_total if gpu_s_total > 0 else np.nan,
        completed=bool(all(j["completed"] for j in records.jobs)),
    )  # fmt: skip
    total["mean_pue"] = _ratio(total["facility_energy_kwh"], total["it_energy_kwh"])
    frame = pd.concat([frame, pd.DataFrame([total])], ignore_index=True)
    _add_intervals(frame, resolved)
    _add_inference_columns(frame, records, jobs)
    return frame[SUMMARY_COLUMNS + INTERVAL_SUMMARY_COLUMNS + INFERENCE_COLUMNS]


def _add_intervals(frame: pd.DataFrame, resolved: ResolvedScenario) -> None:
    """P10/P50/P90 of each training workload's expected run (NaN elsewhere, and for an ideal run).

    The simulated job (every term at its median, one draw of the failure process) times the
    whole-run layer's samples relative to its median run, each with the residual spread of
    published runs around the model (`realism/residual.py`): wall time and GPU-hours scale with
    the time samples, facility energy and CO2 with the energy samples, cost with both (energy
    cost with energy, hardware cost with time).
    """
    for col in INTERVAL_SUMMARY_COLUMNS:
        frame[col] = np.nan
    residual = load_residuals()["whole-run GPU-hours"]
    rows = {name: i for i, name in enumerate(frame["workload"])}
    for spec in resolved.jobs:
        if spec.whole_run is None or spec.name not in rows or not frame.loc[rows[spec.name], "completed"]:
            continue  # an ideal run, or a job the horizon cut short: no interval
        seed = int(np.random.SeedSequence([resolved.scenario.seed, spec.index]).generate_state(1)[0])
        time_f, energy_f = relative_samples(spec.whole_run, DEFAULT_SAMPLES, seed, residual)
        row = frame.loc[rows[spec.name]]
        samples = {
            "wall_time_s": row["wall_time_s"] * time_f,
            "gpu_hours": row["gpu_hours"] * time_f,
            "facility_energy_kwh": row["facility_energy_kwh"] * energy_f,
            "co2_kg": row["co2_kg"] * energy_f,
            "cost_usd": row["energy_cost_usd"] * energy_f + row["hardware_cost_usd"] * time_f,
        }
        for col, values in samples.items():
            for q, value in zip((10, 50, 90), quantiles(values)):
                frame.loc[rows[spec.name], f"{col}_p{q}"] = value


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
        stats["output_tokens_per_s_per_gpu"] = stats["tokens_per_s"] / row["gpus"]
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


REQUEST_COLUMNS = {  # the `requests` table's columns and types, also when it has no rows
    "workload": "object", "request": "int64", "replica": "int64", "arrival_s": "float64",
    "admitted_s": "float64", "first_token_s": "float64", "finish_s": "float64", "prompt_tokens": "int64",
    "output_tokens": "int64", "preemptions": "int64", "energy_j": "float64", "reroutes": "int64",
    "outcome": "object", "queue_s": "float64",
    "ttft_s": "float64", "tpot_s": "float64", "e2e_s": "float64",
}  # fmt: skip


def build_requests(records: Records) -> pd.DataFrame:
    """One row per request of every inference workload (no rows, same columns, without services)."""
    frames = [requests_frame(name, cols) for name, cols in records.requests.items()]
    if frames:
        return pd.concat(frames, ignore_index=True)
    return pd.DataFrame({c: pd.Series(dtype=t) for c, t in REQUEST_COLUMNS.items()})


def _ratio(num, den):
    """num / den, NaN where den is 0."""
    num, den = np.asarray(num, dtype=float), np.asarray(den, dtype=float)
    out = np.divide(num, den, out=np.full(np.shape(num), np.nan), where=den > 0)
    return out if out.ndim else float(out)


def build_timeseries(
    resolved: ResolvedScenario, records: Records, power: pd.DataFrame, acc: Accounting | None = None
) -> pd.DataFrame:
    """Regular intervals; power columns hold each interval's exact mean (water_l: the litres in it)."""
    acc = acc or account(resolved.site, power, records.owners, records.end_s)
    end = records.end_s
    interval = resolved.scenario.output.timeseries_interval or default_interval(end)
    edges = interval_edges(end, interval) if end > 0 else np.array([0.0, 0.0])
    if len(power):  # by owner code: no per-row owner names
        names = power["owner"].cat.categories
        pools = [i for i, name in enumerate(names) if name in (IDLE_OWNER, FAILED_OWNER)]
        busy = ~np.isin(power["owner"].cat.codes.to_numpy(), pools)
    else:
        busy = np.zeros(0, dtype=bool)
    components = [  # columns, not stacked
        power["gpu_power_w"].to_numpy(),
        power["host_power_w"].to_numpy(),
        power["network_power_w"].to_numpy(),
        np.where(busy, power["gpus"].to_numpy(), 0.0),
    ]
    del busy
    if end > 0:
        means = interval_means(power["t_start_s"].to_numpy(), power["t_end_s"].to_numpy(), components, edges)
    else:
        means = np.zeros((0, len(components)))
    t = edges[:-1]
    it_w = means[:, 0] + means[:, 1] + means[:, 2]
    site = acc.site.means(edges, it_w) if end > 0 else {name: np.zeros(0) for name in SITE_SERIES}
    it_kw = it_w / 1000.0
    facility_kw = site["facility_w"] / 1000.0
    return pd.DataFrame(
        {
            "t_s": t,
            "duration_s": np.diff(edges),
            "gpu_power_kw": means[:, 0] / 1000.0,
            "host_power_kw": means[:, 1] / 1000.0,
            "network_power_kw": means[:, 2] / 1000.0,
            "it_power_kw": it_kw,
            "cooling_power_kw": site["cooling_w"] / 1000.0,
            "facility_power_kw": facility_kw,
            "pue": _ratio(facility_kw, it_kw),
            "gpus_busy": means[:, 3],
            "outdoor_temp_c": site["dry_bulb_c"],
            "carbon_intensity_g_per_kwh": site["carbon_g_per_kwh"],
            "price_usd_per_kwh": site["price_usd_per_kwh"],
            "water_l": site["water_l_per_s"] * np.diff(edges),
        }
    )


def capacity_report(resolved: ResolvedScenario, acc: Accounting, end_s: float) -> dict[str, float]:
    """Provisioned IT power (node ratings + switches) and the share of it left unused on average."""
    provisioned_kw = resolved.cluster.total_gpus * resolved.cluster.slot_power.provisioned_w / 1000.0
    mean_it_kw = float(acc.it_j.sum()) / end_s / 1000.0 if end_s > 0 else 0.0
    return {
        "provisioned_it_power_kw": provisioned_kw,
        "mean_it_power_kw": mean_it_kw,
        "idle_capacity_share": 1.0 - mean_it_kw / provisioned_kw if provisioned_kw > 0 else float("nan"),
    }


def build_cluster(
    resolved: ResolvedScenario, records: Records, summary: pd.DataFrame, events: pd.DataFrame
) -> pd.DataFrame:
    """One row of cluster operations: utilization, fragmentation, and where the energy went.

    Training jobs only: services claim GPUs through the scheduler too, but their GPU-time and
    energy are in their own rows.

    `lost_work_energy_kwh`, `checkpoint_energy_kwh` and `restart_energy_kwh` are breakdowns of
    the jobs' energy (already in `jobs_energy_kwh`), not additions to the total.
    """
    rows = summary.set_index("workload")
    total_gpu_h = resolved.cluster.total_gpus * records.end_s / 3600.0
    jobs = pd.DataFrame([row for row in records.jobs if row["kind"] == "training"])

    def pool(name: str, column: str) -> float:
        return float(rows.loc[name, column]) if name in rows.index else 0.0

    def jobs_sum(column: str) -> float:
        return float(jobs[column].sum()) if len(jobs) else 0.0

    if len(jobs):
        busy_gpu_h = float((jobs["run_time_s"] * jobs["gpus"]).sum()) / 3600.0
        useful_gpu_h = float((jobs["compute_time_s"] * jobs["gpus"]).sum()) / 3600.0 - jobs_sum(
            "lost_work_gpu_hours"
        )
    else:
        busy_gpu_h = useful_gpu_h = 0.0
    events = events["event"]
    waited = records.cluster.get("idle_while_waiting_gpu_hours", 0.0)
    ratio = (lambda x: x / total_gpu_h) if total_gpu_h > 0 else (lambda x: np.nan)
    row = {
        "nodes": resolved.cluster.nodes,
        "gpus": resolved.cluster.total_gpus,
        "duration_s": records.end_s,
        "jobs": len(jobs),
        "jobs_completed": int(jobs["completed"].sum()) if len(jobs) else 0,
        "mean_queue_wait_s": float(jobs["queue_wait_s"].mean()) if len(jobs) else np.nan,
        "utilization": ratio(busy_gpu_h),
        "useful_utilization": ratio(useful_gpu_h),
        "fragmentation": ratio(waited),
        "idle_gpu_hours": pool(IDLE_OWNER, "gpu_hours"),
        "failed_gpu_hours": pool(FAILED_OWNER, "gpu_hours"),
        "idle_while_waiting_gpu_hours": waited,
        "node_failures": int((events == "node_failure").sum()),
        "job_interruptions": int((events == "failure").sum()),
        "preemptions": int((events == "preemption").sum()),
        "it_energy_kwh": float(rows.loc["total", "it_energy_kwh"]),
        "jobs_energy_kwh": float(rows.loc[jobs["workload"], "it_energy_kwh"].sum()) if len(jobs) else 0.0,
        "idle_energy_kwh": pool(IDLE_OWNER, "it_energy_kwh"),
        "failed_energy_kwh": pool(FAILED_OWNER, "it_energy_kwh"),
        "lost_work_energy_kwh": jobs_sum("lost_work_energy_kwh"),
        "checkpoint_energy_kwh": jobs_sum("checkpoint_energy_kwh"),
        "restart_energy_kwh": jobs_sum("restart_energy_kwh"),
        "lost_work_gpu_hours": jobs_sum("lost_work_gpu_hours"),
    }
    return pd.DataFrame([row])


def build_result(
    resolved: ResolvedScenario, records: Records, metadata: dict[str, Any] | None = None
) -> Result:
    power = records.power_frame()
    acc = account(resolved.site, power, records.owners, records.end_s)
    metadata = dict(metadata or {})
    metadata.update(capacity_report(resolved, acc, records.end_s))
    summary = build_summary(resolved, records, power, acc)
    events = records.events_frame()
    return Result(
        scenario_name=resolved.scenario.name,
        summary=summary,
        timeseries=build_timeseries(resolved, records, power, acc),
        jobs=pd.DataFrame(records.jobs),
        events=events,
        power=power,
        requests=build_requests(records),
        metadata=metadata,
        cluster=build_cluster(resolved, records, summary, events),
    )
