"""The printed waterfall: every term of a job, its shares, and the interval caption."""

import pandas as pd
from rich.console import Console

from simcompute.realism.wholerun import INTERVAL_COLUMNS, JOB_COLUMNS
from simcompute.report.tables import waterfall_table


def test_waterfall_lists_every_term_and_the_interval():
    job = {"workload": "pretrain"}
    for i, (time_col, energy_col) in enumerate(JOB_COLUMNS.values()):
        job[time_col] = 3600.0 * (i + 1)
        if energy_col:
            job[energy_col] = 100.0 * (i + 1)
    summary = {f"{c}_p{q}": float(q) for c in INTERVAL_COLUMNS for q in (10, 50, 90)}
    console = Console(width=200, record=True)
    console.print(waterfall_table(pd.Series(job), pd.Series(summary)))
    text = console.export_text()
    assert "software stack" in text and "failures: lost work" in text and "restarts" in text
    assert "total (wall time)" in text and "expected run P50 [P10 - P90]" in text
    assert "19.4%" in text  # restarts: 7 of 36 time units
    assert "waiting for GPUs" in text
