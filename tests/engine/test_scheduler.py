"""Scheduler timelines for hand-made jobs: exact start and end times under each policy."""

import pytest

import simcompute as sc

# 2 nodes x 8 GPUs. A job's duration_s is its compute time (no failures, no checkpoints).
JOBS = """name,submit_s,gpus,duration_s,priority
a,0,8,100,0
b,0,16,50,0
c,10,8,30,5
d,20,4,200,1
"""


def run_trace(scenario_dict, tmp_path, text, **scheduling):
    path = tmp_path / "jobs.csv"
    path.write_text(text)
    scenario_dict["workloads"] = []
    scenario_dict["scheduling"] = dict(scheduling, jobs=str(path))
    scenario_dict["realism"] = "ideal"  # the scheduler's mechanics, without default failures
    return sc.run(scenario_dict)


def timeline(result):
    jobs = result.jobs.set_index("workload")
    return {name: (row["start_s"], row["end_s"]) for name, row in jobs.iterrows()}


def test_fifo_nothing_passes_a_blocked_head(scenario_dict, tmp_path):
    result = run_trace(scenario_dict, tmp_path, JOBS, policy="fifo")
    # b (16 GPUs) waits for a; c and d wait behind b although c would fit at t=10.
    assert timeline(result) == {"a": (0, 100), "b": (100, 150), "c": (150, 180), "d": (150, 350)}
    assert result.jobs.set_index("workload").loc["c", "queue_wait_s"] == 140


def test_easy_backfills_what_ends_before_the_reservation(scenario_dict, tmp_path):
    result = run_trace(scenario_dict, tmp_path, JOBS, policy="easy")
    # b is reserved for t=100 (a's end). c (ends at 40) backfills at 10; d (ends at 240 on
    # GPUs b needs) may not, and runs after b.
    assert timeline(result) == {"a": (0, 100), "b": (100, 150), "c": (10, 40), "d": (150, 350)}


def test_easy_backfills_on_gpus_the_head_does_not_need(scenario_dict, tmp_path):
    text = "name,submit_s,gpus,duration_s\na,0,8,100\nb,1,12,50\nc,2,4,500\n"
    result = run_trace(scenario_dict, tmp_path, text, policy="easy")
    # At t=2, b waits for a (reservation t=100, 16 - 12 = 4 spare GPUs then); c takes 4 GPUs
    # for 500 s, which b will not need.
    assert timeline(result) == {"a": (0, 100), "b": (100, 150), "c": (2, 502)}
    fifo = run_trace(scenario_dict, tmp_path, text, policy="fifo")
    assert timeline(fifo) == {"a": (0, 100), "b": (100, 150), "c": (100, 600)}


def test_priority_preempts_lower_priority_jobs(scenario_dict, tmp_path):
    result = run_trace(scenario_dict, tmp_path, JOBS, policy="priority")
    # c (p5) starts on the free node at 10. d (p1) arrives at 20 with no free GPU: a (p0) is
    # preempted, losing its 20 s of progress (no checkpoint), and requeued ahead of b (same
    # priority, earlier submission). a restarts from scratch when c ends at 40; b needs all
    # 16 GPUs and gets them when d ends at 220.
    assert timeline(result) == {"a": (0, 140), "b": (220, 270), "c": (10, 40), "d": (20, 220)}
    a = result.jobs.set_index("workload").loc["a"]
    assert a["preemptions"] == 1 and a["restarts"] == 1
    assert a["lost_work_gpu_hours"] == pytest.approx(8 * 20 / 3600)
    assert a["run_time_s"] == 20 + 100
    events = result.events
    pre = events[events["event"] == "preemption"]
    assert list(pre["workload"]) == ["a"] and list(pre["t_s"]) == [20]


def test_node_placement_takes_whole_nodes(scenario_dict, tmp_path):
    text = "name,submit_s,gpus,duration_s\nsmall,0,4,100\nbig,0,12,100\n"
    per_gpu = run_trace(scenario_dict, tmp_path, text, placement="gpu")
    assert timeline(per_gpu) == {"small": (0, 100), "big": (0, 100)}
    per_node = run_trace(scenario_dict, tmp_path, text, placement="node")
    assert timeline(per_node) == {"small": (0, 100), "big": (100, 200)}
    # While `big` waits, the 4 GPUs `small` leaves on its node (stranded) and the free node's 8
    # are idle: 12 GPUs for 100 s.
    assert per_node.cluster.iloc[0]["idle_while_waiting_gpu_hours"] == pytest.approx(12 * 100 / 3600)
    assert per_gpu.cluster.iloc[0]["idle_while_waiting_gpu_hours"] == 0


def test_gpus_stay_accounted_with_many_jobs(scenario_dict, tmp_path):
    rows = ["name,submit_s,gpus,duration_s"] + [
        f"j{i},{i * 7 % 50},{1 + i % 16},{10 + i * 13 % 90}" for i in range(60)
    ]
    for policy in ("fifo", "easy", "priority"):
        result = run_trace(scenario_dict, tmp_path, "\n".join(rows) + "\n", policy=policy)
        assert result.jobs["completed"].all()
        assert result.total("gpu_hours") == pytest.approx(16 * result.total("wall_time_s") / 3600, rel=1e-12)
        assert (result.jobs["start_s"] >= result.jobs["submit_s"]).all()
