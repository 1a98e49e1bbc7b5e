"""`report.html`: one self-contained HTML file per run (figures inlined as base64 PNG, no
scripts, no network), read back from the run's output folder."""

from __future__ import annotations

import base64
import html
import io
import json
from pathlib import Path

import pandas as pd

from simcompute.errors import SimcomputeError
from simcompute.report.answer import Answer, answer, energy, mass, ms, sig, usd, water
from simcompute.report.tables import summary_rows

STYLE = """
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px auto;
       max-width: 1150px; color: #1b1b1b; line-height: 1.45; padding: 0 16px; }
h1 { font-size: 26px; margin: 0 0 4px; } h2 { font-size: 20px; margin-top: 32px; }
.sub { color: #555; margin-bottom: 16px; }
.cards { display: grid; grid-template-columns: repeat(auto-fill, minmax(170px, 1fr)); gap: 12px; }
.card { background: #f3f6fa; border-radius: 8px; padding: 12px 14px; }
.card .v { font-size: 24px; font-weight: 650; } .card .l { color: #555; font-size: 14px; }
ul.lines { font-family: ui-monospace, Menlo, Consolas, monospace; font-size: 14px; padding-left: 18px; }
.note { background: #fff6d6; border-left: 4px solid #e0a800; padding: 8px 12px; margin: 8px 0; }
table { border-collapse: collapse; font-size: 14px; margin: 8px 0; }
th, td { padding: 4px 10px; border-bottom: 1px solid #ddd; text-align: right; }
th:first-child, td:first-child { text-align: left; } tr:last-child td { font-weight: 650; }
img { max-width: 100%; height: auto; }
"""


class ReportError(SimcomputeError):
    """A folder that is not the output of `simcompute run`."""


def _png(fig) -> str:
    """A matplotlib figure as an inline <img> (PNG, base64)."""
    buffer = io.BytesIO()
    fig.savefig(buffer, format="png", dpi=100, bbox_inches="tight")
    data = base64.b64encode(buffer.getvalue()).decode("ascii")
    return f'<img alt="figure" src="data:image/png;base64,{data}">'


def _read(run_dir: Path, name: str) -> pd.DataFrame:
    """A table of the run: Parquet if there, else CSV; empty if absent or empty."""
    parquet, csv = run_dir / f"{name}.parquet", run_dir / f"{name}.csv"
    if parquet.exists():
        return pd.read_parquet(parquet)
    if csv.exists() and csv.stat().st_size > 1:
        return pd.read_csv(csv)
    return pd.DataFrame()


def _table(headers: list[str], rows: list[list[str]]) -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in headers)
    body = "".join("<tr>" + "".join(f"<td>{html.escape(c)}</td>" for c in row) + "</tr>" for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def _headline(ans: Answer) -> str:
    cards = "".join(
        f'<div class="card"><div class="v">{html.escape(v)}</div><div class="l">{html.escape(k)}</div></div>'
        for k, v in ans.figures
    )
    lines = "".join(f"<li>{html.escape(line.strip())}</li>" for line in ans.lines)
    notes = "".join(f'<div class="note">{html.escape(n)}</div>' for n in ans.notes)
    return f'<div class="cards">{cards}</div>{notes}<ul class="lines">{lines}</ul>'


def _services(summary: pd.DataFrame) -> str:
    rows = summary[summary["kind"] == "inference"]
    headers = ["service", "requests", "req/s", "output tok/s", "TTFT p50/p99", "TPOT p50/p99", "E2E p50/p99",
               "energy / query", "CO2 / 1k queries", "water / 1k queries", "cost / 1k queries"]  # fmt: skip
    body = [
        [str(r["workload"]), f"{r['requests_completed']:,.0f}", sig(r["requests_per_s"]), sig(r["tokens_per_s"]),
         ms(r["ttft_p50_s"], r["ttft_p99_s"]), ms(r["tpot_p50_s"], r["tpot_p99_s"]),
         ms(r["e2e_p50_s"], r["e2e_p99_s"]), energy(r["wh_per_query"] / 1000.0),
         mass(r["co2_g_per_1k_queries"] / 1000.0), water(r["water_l_per_1k_queries"]),
         usd(r["cost_usd_per_1k_queries"])]
        for _, r in rows.iterrows()
    ]  # fmt: skip
    return _table(headers, body)


def render_report(run_dir: str | Path) -> str:
    """The HTML text of the report of a run's output folder."""
    from simcompute.report.plots import breakdown_figure, latency_figure, power_figure

    run_dir = Path(run_dir)
    meta_path = run_dir / "metadata.json"
    summary = _read(run_dir, "summary")
    if not meta_path.exists() or summary.empty:
        raise ReportError(
            f"{run_dir}: not a run's output folder (no metadata.json or summary); run `simcompute run`"
        )
    metadata = json.loads(meta_path.read_text(encoding="utf-8"))
    jobs, timeseries, requests = (
        _read(run_dir, "jobs"),
        _read(run_dir, "timeseries"),
        _read(run_dir, "requests"),
    )
    name = str(metadata.get("scenario", run_dir.name))
    ans = answer(summary, jobs, metadata)
    where = (f"{metadata.get('gpus', '?')} x {metadata.get('gpu', '?')} in {metadata.get('region', '?')}, "
             f"seed {metadata.get('seed', '?')}, simcompute {metadata.get('simcompute_version', '?')}")  # fmt: skip
    parts = [f"<h1>{html.escape(name)}</h1>", f'<div class="sub">{html.escape(where)}</div>', _headline(ans)]
    if not timeseries.empty:
        fig = power_figure(timeseries, "power over time, PUE and grid carbon intensity")
        parts += ["<h2>Power over time</h2>", _png(fig)]
    parts += ["<h2>Where the time and energy went</h2>", _png(breakdown_figure(summary, jobs))]
    parts += [_table(*summary_rows(summary))]
    if (summary["kind"] == "inference").any():
        parts += ["<h2>Services: latency and per-query figures</h2>", _services(summary)]
        if not requests.empty:
            parts.append(_png(latency_figure(requests)))
    parts.append(
        '<p class="sub">Full precision: summary.csv, jobs.csv, timeseries.csv and requests.csv in this folder.</p>'
    )
    body = "\n".join(parts)
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{html.escape(name)}: simcompute report</title><style>{STYLE}</style></head>"
        f"<body>\n{body}\n</body></html>\n"
    )


def write_report(run_dir: str | Path) -> Path:
    """Write `report.html` into a run's output folder; returns its path."""
    path = Path(run_dir) / "report.html"
    path.write_text(render_report(run_dir), encoding="utf-8")
    return path
