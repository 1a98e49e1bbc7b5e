import numpy as np
import pandas as pd

from simcompute.records import Records


def _rows_and_blocks() -> tuple[Records, Records]:
    """The same events written row by row and with blocks; ties in time test the write order."""
    one, two = Records(), Records()
    for rec in (one, two):
        rec.event(5.0, "a", "start", 8)
    t, progress = np.array([5.0, 7.5, 10.0]), np.array([7200.0, 14400.0, 21600.000001])
    for ti, p in zip(t, progress):
        one.event(float(ti), "a", "checkpoint", 8, f"progress_s={p:.6g}")
    two.event_block(t, "a", "checkpoint", 8, "progress_s", progress)
    for rec in (one, two):
        rec.event(7.5, "b", "failure", 16, "lost_work_s=3")
        rec.event(1.0, "cluster", "node_failure", 8, "node=3")
    one.event(7.5, "b", "checkpoint", 16, "progress_s=1")
    two.event_block(np.array([7.5]), "b", "checkpoint", 16, "progress_s", np.array([1.0]))
    one.event(7.5, "c", "restart", 8, "overhead_s=600")
    two.event_block(np.array([7.5]), "c", "restart", 8, "overhead_s", np.array([600.0]))
    return one, two


def test_event_blocks_give_the_rows_of_single_events():
    one, two = _rows_and_blocks()
    frame = two.events_frame()
    pd.testing.assert_frame_equal(frame, one.events_frame(), check_exact=True)
    assert frame["t_s"].is_monotonic_increasing
    assert frame.loc[frame["t_s"] == 7.5, "workload"].tolist() == ["a", "b", "b", "c"]


def test_events_frame_without_blocks_keeps_write_order_at_equal_times():
    rec = Records()
    rec.event(2.0, "x", "finish", 8)
    rec.event(1.0, "y", "start", 8)
    rec.event(2.0, "y", "finish", 8)
    frame = rec.events_frame()
    assert frame["workload"].tolist() == ["y", "x", "y"]
