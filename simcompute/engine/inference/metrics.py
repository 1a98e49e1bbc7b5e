"""Per-request latencies and service-level summaries of an inference workload."""

from __future__ import annotations

import numpy as np
import pandas as pd

PERCENTILES = (50, 90, 99)


def requests_frame(name: str, cols: dict[str, np.ndarray]) -> pd.DataFrame:
    """The `requests` rows of one workload: inputs, timings, derived latencies, energy.

    `ttft_s` = first token - arrival; `tpot_s` = (finish - first token) / (output - 1), NaN for
    one-token outputs; `e2e_s` = finish - arrival; `queue_s` = first admission - arrival.
    Unfinished requests (cut by the horizon) have NaN times.
    """
    frame = pd.DataFrame({"workload": name, "request": np.arange(len(cols["arrival_s"])), **cols})
    frame["queue_s"] = frame["admitted_s"] - frame["arrival_s"]
    frame["ttft_s"] = frame["first_token_s"] - frame["arrival_s"]
    decode_tokens = (frame["output_tokens"] - 1).where(frame["output_tokens"] > 1)
    frame["tpot_s"] = (frame["finish_s"] - frame["first_token_s"]) / decode_tokens
    frame["e2e_s"] = frame["finish_s"] - frame["arrival_s"]
    return frame


def latency_summary(frame: pd.DataFrame, wall_time_s: float) -> dict[str, float]:
    """Percentiles of TTFT, TPOT and end-to-end latency; throughput of completed requests."""
    done = frame[np.isfinite(frame["finish_s"])]
    out: dict[str, float] = {"requests": float(len(frame)), "requests_completed": float(len(done))}
    for metric in ("ttft", "tpot", "e2e"):
        values = done[f"{metric}_s"].dropna().to_numpy()
        at = np.percentile(values, PERCENTILES) if len(values) else [np.nan] * len(PERCENTILES)
        for p, value in zip(PERCENTILES, at):
            out[f"{metric}_p{p}_s"] = float(value)
    out["requests_per_s"] = len(done) / wall_time_s if wall_time_s > 0 else np.nan
    out["tokens_per_s"] = float(done["output_tokens"].sum()) / wall_time_s if wall_time_s > 0 else np.nan
    out["output_tokens"] = float(done["output_tokens"].sum())
    return out
