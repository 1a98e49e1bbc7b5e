"""A training job's process on the SimPy kernel: a failure at a known time, exact event times.

The job computes 1,000 s of work on one 8-GPU node, with a blocking checkpoint every 300 s of
compute that takes 20 s to write; a restart costs 60 s. All times are exact binary numbers, so
the timeline is asserted with `==`:

    0      start
    0-300    compute (progress 0 -> 300)      300-320 write (durable at 320, progress 300)
    320-620  compute (300 -> 600)             620-640 write (durable at 640, progress 600)
    640-700  compute (600 -> 660); the node fails at 700: 60 s since the checkpoint are lost
"""

from dataclasses import replace

import simpy

from simcompute.config import scenario_from_dict
from simcompute.engine.checkpoint import CheckpointPlan
from simcompute.engine.cluster import Cluster
from simcompute.engine.ledger import PowerLedger
from simcompute.engine.scheduler import Scheduler
from simcompute.engine.training import TrainingJob
from simcompute.records import Records
from simcompute.resolve import resolve

WORK_S, EVERY_S, WRITE_S, RESTART_S, FAIL_S, REPAIR_S = 1000.0, 300.0, 20.0, 60.0, 700.0, 500.0


def _run(scenario_dict: dict, nodes: int) -> tuple[TrainingJob, Records, float]:
    scenario_dict["cluster"]["nodes"] = nodes
    resolved = resolve(scenario_from_dict(scenario_dict))
    env = simpy.Environment()
    records = Records()
    ledger = PowerLedger(records)
    cluster = Cluster(env, resolved.cluster, ledger)
    scheduler = Scheduler(env, cluster, records, "fifo", backfill_depth=10)
    spec = replace(resolved.cluster_jobs[0], work_s=WORK_S, checkpoint_every_s=EVERY_S, submit_s=0.0)
    plan = CheckpointPlan(EVERY_S, size_bytes=1e9, write_s=WRITE_S, asynchronous=False)
    job = TrainingJob(env, spec, 0, cluster, ledger, records, plan, RESTART_S, young_daly_s=float("nan"))
    scheduler.add(job)
    env.timeout(FAIL_S).callbacks.append(lambda _e: scheduler.node_failed(0, REPAIR_S, "gpu"))
    env.run(until=scheduler.done)
    job.close(env.now)
    return job, records, env.now


def _timeline(records: Records) -> list[tuple[float, str, str]]:
    events = records.events_frame()
    job = events[events["workload"] == "job"]
    return list(zip(job["t_s"], job["event"], job["detail"]))


def test_failure_replaced_in_place_restarts_at_t_fail_plus_overhead(scenario_dict):
    """A spare node takes over at once: the job restarts at 700 + 60 = 760 from its checkpoint
    at progress 600, redoes exactly the 60 s lost (progress 600 -> 900 by 1060), writes at
    1060-1080 and finishes its last 100 s at 1180."""
    job, records, end_s = _run(scenario_dict, nodes=2)
    assert _timeline(records) == [
        (0.0, "submit", ""),
        (0.0, "start", ""),
        (320.0, "checkpoint", "progress_s=300"),
        (640.0, "checkpoint", "progress_s=600"),
        (700.0, "failure", "lost_work_s=60 node=0 cause=gpu"),
        (700.0, "restart", "overhead_s=60"),
        (1080.0, "checkpoint", "progress_s=900"),
        (1180.0, "finish", ""),
    ]
    assert end_s == job.end_s == FAIL_S + RESTART_S + (WORK_S - 600.0) + WRITE_S == 1180.0
    assert job.lost_s == 60.0 and job.restart_time_s == RESTART_S
    assert job.compute_s == WORK_S + 60.0  # the lost minute is computed twice
    assert job.ckpt_s == 3 * WRITE_S and job.checkpoints == 3
    assert job.held_s == 1180.0 and (job.failures, job.restarts) == (1, 1)
    assert not job.process.is_alive


def test_failure_without_spare_waits_for_the_repair(scenario_dict):
    """No spare node: the job goes back to the queue, is placed again when its node returns at
    700 + 500 = 1200, restarts until 1260, redoes the lost 60 s on the way to its checkpoint at progress 900
    (written 1560-1580), and finishes at 1260 + 400 + 20 = 1680."""
    job, records, end_s = _run(scenario_dict, nodes=1)
    assert _timeline(records) == [
        (0.0, "submit", ""),
        (0.0, "start", ""),
        (320.0, "checkpoint", "progress_s=300"),
        (640.0, "checkpoint", "progress_s=600"),
        (700.0, "failure", "lost_work_s=60 node=0 cause=gpu"),
        (1200.0, "start", ""),
        (1200.0, "restart", "overhead_s=60"),
        (1580.0, "checkpoint", "progress_s=900"),
        (1680.0, "finish", ""),
    ]
    assert end_s == job.end_s == 1680.0
    assert job.held_s == 700.0 + 480.0  # nothing held while the node was under repair
    assert job.lost_s == 60.0 and job.restart_time_s == RESTART_S
