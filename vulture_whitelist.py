"""Names vulture (`make lint`) cannot see used: called by a framework or kept in a file format.

Vulture counts any use of a name, so each line below uses one attribute of a placeholder `_`.
"""

# ruff: noqa: B018, F821
_.forward  # torch modules (calibration/model.py): called through nn.Module.__call__
# record fields kept for provenance in profiles, sweeps and catalog files
_.notes  # calibration.sweep.Sweep
_.step_time_std_s, _.peak_source  # calibration.trainer.TrainingPoint
_.vendor  # simcompute.catalog.hardware.Accelerator
_.prefill_efficiency, _.profile_version, _.energy_note  # simcompute.profile
_.scenario_name  # simcompute.results.Result: public API
_.__getattr__, _.__dir__  # simcompute/__init__.py: module attribute hooks (PEP 562)
_._ok, _._value  # simpy.Event internals set by engine/inference/service.py's _Late event
# tests: a fake NVML library (the meter calls these by name), an attribute a test must not set
_.nvmlDeviceGetEnforcedPowerLimit, _.nvmlDeviceGetClockInfo, _.mw
_.nvmlSystemGetDriverVersion, _.nvmlSystemGetCudaDriverVersion
_.foo
_.caption  # rich.table.Table.caption (report/tables.py): read by rich when it prints
_.cost_usd, _.energy_mwh, _.co2_t  # simcompute.budget.spec.Limits: read by getattr (budget/plan.py)
_.water_l_per_s  # simcompute.power.accounting.ElementarySeries: read by getattr over SITE_SERIES
