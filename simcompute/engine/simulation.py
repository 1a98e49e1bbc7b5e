"""Run a resolved scenario in a SimPy environment and collect its records."""

from __future__ import annotations

import numpy as np
import simpy

from simcompute.engine.cluster import Cluster
from simcompute.engine.inference import InferenceService
from simcompute.engine.ledger import PowerLedger
from simcompute.engine.training import TrainingJob
from simcompute.records import Records
from simcompute.resolve import ResolvedScenario


def simulate(resolved: ResolvedScenario) -> Records:
    """Simulate until every workload is done, or until the horizon if one is set.

    Randomness comes from one `SeedSequence(seed)`, with a child stream per workload, so a
    workload's random draws do not depend on the others.
    """
    scenario = resolved.scenario
    env = simpy.Environment()
    records = Records()
    ledger = PowerLedger(records)
    cluster = Cluster(env, resolved.cluster, ledger)
    streams = np.random.SeedSequence(scenario.seed).spawn(len(scenario.workloads))
    services = [
        InferenceService(
            env, spec, cluster, ledger, records, np.random.default_rng(streams[spec.index]), scenario.horizon
        )
        for spec in resolved.services
    ]
    jobs = [
        TrainingJob(
            env, spec, cluster, ledger, records, np.random.default_rng(streams[spec.index]), scenario.failures
        )
        for spec in resolved.jobs
    ]
    if scenario.horizon is not None:
        env.run(until=scenario.horizon)
    else:
        env.run()
    end_s = float(env.now)
    ledger.close_all(end_s)
    records.end_s = end_s
    records.jobs = [job.row(end_s) for job in jobs] + [service.row() for service in services]
    return records
