"""Energy meters: NVML (NVIDIA GPUs), Linux RAPL (CPU package) and a null meter.

Every meter measures a window: `begin()`, optional `sample()` calls (a polling thread makes
them every `poll_interval_s`), `end()` -> `EnergyReading`. Energy comes from a hardware
energy counter where there is one (NVML's total-energy counter on Volta and newer, RAPL's
`energy_uj`); on older GPUs it is integrated from polled power readings, and the reading says
so in its caveats. Where no meter can be read the reading says energy is unavailable and why;
it never carries a made-up number. NVML failures are translated into the `MeterError` types
below (in the spirit of Zeus's `zeus.device` layer), so callers see one clear message.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from simcompute.errors import SimcomputeError


class MeterError(SimcomputeError):
    """An energy meter cannot be used; the message says why and what to do."""


class MeterUnavailableError(MeterError):
    """No NVML library or driver (CPU machines, containers without the driver)."""


class MeterPermissionError(MeterError):
    """The counter exists but this user may not read (or set) it."""


class MeterNotSupportedError(MeterError):
    """The device does not support the query (e.g. the energy counter before Volta)."""


class MeterNoDeviceError(MeterError):
    """The requested GPU does not exist or has fallen off the bus."""


def translate_nvml_error(exc: Exception, nvml: Any, what: str) -> MeterError:
    """Map a `pynvml.NVMLError` to a `MeterError` whose message names `what` failed."""
    code = getattr(exc, "value", None)
    text = f"NVML {what}: {exc}"
    if code == nvml.NVML_ERROR_NO_PERMISSION:
        return MeterPermissionError(f"{text} (permission denied; setting limits needs root)")
    if code == nvml.NVML_ERROR_NOT_SUPPORTED:
        return MeterNotSupportedError(f"{text} (not supported by this GPU or driver)")
    if code in (nvml.NVML_ERROR_NOT_FOUND, nvml.NVML_ERROR_INVALID_ARGUMENT, nvml.NVML_ERROR_GPU_IS_LOST):
        return MeterNoDeviceError(f"{text} (no such GPU, or it is lost)")
    if code in (
        nvml.NVML_ERROR_LIBRARY_NOT_FOUND,
        nvml.NVML_ERROR_DRIVER_NOT_LOADED,
        nvml.NVML_ERROR_UNINITIALIZED,
        nvml.NVML_ERROR_FUNCTION_NOT_FOUND,
    ):
        return MeterUnavailableError(f"{text} (no NVIDIA driver or NVML library)")
    return MeterError(text)


@dataclass
class DeviceEnergy:
    """Energy of one device over a window; `energy_j` is None when it could not be measured."""

    index: int
    name: str
    energy_j: float | None
    mean_power_w: float | None
    method: str
    samples: int
    caveats: list[str] = field(default_factory=list)


@dataclass
class EnergyReading:
    """Energy over one measurement window, summed over the meter's devices."""

    available: bool
    duration_s: float
    energy_j: float | None
    mean_power_w: float | None
    method: str | None
    devices: list[DeviceEnergy] = field(default_factory=list)
    reason: str | None = None

    @property
    def caveats(self) -> list[str]:
        return [c for d in self.devices for c in d.caveats]

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["caveats"] = self.caveats
        return out


class EnergyMeter:
    """Base class: a window of energy over one or more devices, sampled by a polling thread."""

    kind = "none"
    available = False
    reason: str | None = None

    def __init__(self, poll_interval_s: float | None = 0.1, clock: Callable[[], float] = time.perf_counter):
        self.poll_interval_s = poll_interval_s
        self.clock = clock
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._t0 = 0.0

    # -- hooks for subclasses ------------------------------------------------------------
    def _start_devices(self) -> None:
        """Take the first reading of each device."""

    def _sample_devices(self, now: float) -> None:
        """Take one more reading of each device."""

    def _finish_devices(self, duration_s: float) -> list[DeviceEnergy]:
        return []

    # -- window ------------------------------------------------------------------------
    def begin(self) -> None:
        """Start a window (and the polling thread, when `poll_interval_s` is set)."""
        with self._lock:
            self._t0 = self.clock()
            self._start_devices()
        if self.poll_interval_s and self.available:
            self._stop.clear()
            self._thread = threading.Thread(target=self._poll, name="energy-meter", daemon=True)
            self._thread.start()

    def sample(self) -> None:
        with self._lock:
            self._sample_devices(self.clock())

    def end(self) -> EnergyReading:
        """Close the window and return its energy."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join()
            self._thread = None
        with self._lock:
            now = self.clock()
            self._sample_devices(now)
            duration = now - self._t0
            devices = self._finish_devices(duration)
        if not self.available:
            return EnergyReading(False, duration, None, None, None, devices, self.reason)
        missing = [d for d in devices if d.energy_j is None]
        if missing or not devices:
            why = "; ".join(c for d in missing for c in d.caveats) or "no devices"
            return EnergyReading(False, duration, None, None, None, devices, why)
        energy = sum(d.energy_j for d in devices if d.energy_j is not None)
        methods = sorted({d.method for d in devices})
        return EnergyReading(True, duration, energy, energy / duration if duration > 0 else None,
                             "+".join(methods), devices)  # fmt: skip

    def _poll(self) -> None:
        while not self._stop.wait(self.poll_interval_s):
            self.sample()

    def measure_idle_power_w(self, duration_s: float = 2.0) -> float | None:
        """Mean power per device over `duration_s` of doing nothing (None if unavailable)."""
        if not self.available:
            return None
        self.begin()
        time.sleep(duration_s)
        reading = self.end()
        if reading.energy_j is None or reading.duration_s <= 0:
            return None
        return reading.energy_j / reading.duration_s / len(reading.devices)

    def info(self) -> dict[str, Any]:
        """Provenance: what the meter is and what it reads (names, limits, clocks)."""
        return {"meter": self.kind, "available": self.available, "reason": self.reason}

    def close(self) -> None:
        """Release the library (the base class holds nothing)."""


class NullMeter(EnergyMeter):
    """No energy meter on this machine: every window reports energy unavailable with `reason`."""

    def __init__(self, reason: str):
        super().__init__(poll_interval_s=None)
        self.reason = reason


@dataclass
class _CounterState:
    """Per-device state of one window."""

    last_counter: float | None = None
    counter_sum: float = 0.0
    power: list[tuple[float, float]] = field(default_factory=list)
    caveats: list[str] = field(default_factory=list)
    failed: str | None = None


class NvmlMeter(EnergyMeter):
    """NVIDIA GPUs through NVML (`pynvml`, from the `nvidia-ml-py` package).

    Volta and newer: the total-energy counter (mJ since the driver loaded) is read at the start,
    at every poll and at the end; its increments are summed, so a counter reset in the window
    (driver reload, GPU reset) loses at most one poll interval, and is recorded as a caveat.
    Older GPUs: power readings (mW) polled every `poll_interval_s` and integrated (trapezoids).
    """

    kind = "nvml"

    def __init__(
        self,
        indices: list[int] | None = None,
        *,
        nvml: Any = None,
        poll_interval_s: float | None = 0.1,
        clock: Callable[[], float] = time.perf_counter,
    ):
        super().__init__(poll_interval_s, clock)
        if nvml is None:
            try:
                nvml = importlib.import_module("pynvml")
            except ImportError:
                raise MeterUnavailableError(
                    "pynvml is not installed (pip install nvidia-ml-py, or pip install -e .[calibrate])"
                ) from None
        self.nvml = nvml
        self._call(nvml.nvmlInit, "initialisation")
        count = self._call(nvml.nvmlDeviceGetCount, "device count")
        if count == 0:
            raise MeterNoDeviceError("NVML found no GPUs")
        self.indices = list(range(count)) if indices is None else list(indices)
        self.handles = [self._call(nvml.nvmlDeviceGetHandleByIndex, f"GPU {i}", i) for i in self.indices]
        self.names = [
            self._decode(self._call(nvml.nvmlDeviceGetName, "device name", h)) for h in self.handles
        ]
        self.has_counter = [self._supports_counter(h) for h in self.handles]
        self.available = True
        self._state: list[_CounterState] = []

    @staticmethod
    def _decode(value: Any) -> str:
        return value.decode() if isinstance(value, bytes) else str(value)

    def _call(self, func: Callable[..., Any], what: str, *args: Any) -> Any:
        try:
            return func(*args)
        except self.nvml.NVMLError as exc:
            raise translate_nvml_error(exc, self.nvml, what) from None

    def _supports_counter(self, handle: Any) -> bool:
        try:
            self._call(self.nvml.nvmlDeviceGetTotalEnergyConsumption, "energy counter", handle)
        except MeterNotSupportedError:
            return False
        return True

    def _read(self, i: int, now: float) -> None:
        state, handle = self._state[i], self.handles[i]
        if state.failed:
            return
        try:
            if self.has_counter[i]:
                counter = float(
                    self._call(self.nvml.nvmlDeviceGetTotalEnergyConsumption, "energy counter", handle)
                )
                if state.last_counter is not None:
                    if counter >= state.last_counter:
                        state.counter_sum += counter - state.last_counter
                    else:  # reset to zero since the last reading: count what accrued since then
                        state.counter_sum += counter
                        state.caveats.append(
                            f"GPU {self.indices[i]}: energy counter went back from {state.last_counter:.0f} to "
                            f"{counter:.0f} mJ (driver reload or GPU reset); energy between the previous "
                            f"reading and the reset (at most one poll interval) is not counted"
                        )
                state.last_counter = counter
            else:
                power = float(self._call(self.nvml.nvmlDeviceGetPowerUsage, "power reading", handle)) / 1000.0
                state.power.append((now, power))
        except MeterError as exc:
            state.failed = str(exc)
            state.caveats.append(f"GPU {self.indices[i]}: reading failed mid-window: {exc}")

    def _start_devices(self) -> None:
        self._state = [_CounterState() for _ in self.handles]
        for i in range(len(self.handles)):
            self._read(i, self._t0)

    def _sample_devices(self, now: float) -> None:
        for i in range(len(self._state)):
            self._read(i, now)

    def _finish_devices(self, duration_s: float) -> list[DeviceEnergy]:
        out = []
        for i, state in enumerate(self._state):
            energy: float | None
            if state.failed:
                energy, method = None, "failed"
            elif self.has_counter[i]:
                energy, method = state.counter_sum / 1000.0, "nvml_energy_counter"
            else:
                method = "nvml_power_polling"
                pts = state.power
                energy = sum((t1 - t0) * (p0 + p1) / 2 for (t0, p0), (t1, p1) in itertools.pairwise(pts))
                state.caveats.append(
                    f"GPU {self.indices[i]}: no energy counter (pre-Volta); energy integrated from "
                    f"{len(pts)} power readings polled every {self.poll_interval_s} s. The driver's power "
                    f"reading is itself a running average, so short windows and fast swings are misestimated"
                )
            out.append(
                DeviceEnergy(
                    index=self.indices[i],
                    name=self.names[i],
                    energy_j=energy,
                    mean_power_w=energy / duration_s if energy is not None and duration_s > 0 else None,
                    method=method,
                    samples=len(state.power) if not self.has_counter[i] else 0,
                    caveats=state.caveats,
                )
            )
        return out

    def _optional(self, func_name: str, *args: Any) -> Any:
        """A provenance query that may be unsupported on some GPUs: None instead of an error."""
        try:
            return self._call(getattr(self.nvml, func_name), func_name, *args)
        except (MeterError, AttributeError):
            return None

    def info(self) -> dict[str, Any]:
        nv = self.nvml
        cuda = self._optional("nvmlSystemGetCudaDriverVersion")
        devices = []
        for idx, handle, name, counter in zip(self.indices, self.handles, self.names, self.has_counter):
            limit = self._optional("nvmlDeviceGetEnforcedPowerLimit", handle)
            clocks = {
                key: self._optional(func, handle, clock)
                for key, func, clock in [
                    ("sm_clock_mhz", "nvmlDeviceGetClockInfo", nv.NVML_CLOCK_SM),
                    ("mem_clock_mhz", "nvmlDeviceGetClockInfo", nv.NVML_CLOCK_MEM),
                    ("max_sm_clock_mhz", "nvmlDeviceGetMaxClockInfo", nv.NVML_CLOCK_SM),
                    ("max_mem_clock_mhz", "nvmlDeviceGetMaxClockInfo", nv.NVML_CLOCK_MEM),
                ]
            }
            devices.append(
                {
                    "index": idx,
                    "name": name,
                    "power_limit_w": limit / 1000.0 if limit is not None else None,
                    "energy_counter": counter,
                    **clocks,
                }
            )
        driver = self._optional("nvmlSystemGetDriverVersion")
        return {
            "meter": self.kind,
            "available": True,
            "reason": None,
            "driver": self._decode(driver) if driver is not None else None,
            "cuda_driver": f"{cuda // 1000}.{cuda % 1000 // 10}" if isinstance(cuda, int) else None,
            "devices": devices,
        }

    def set_power_limit_w(self, watts: float, position: int = 0) -> None:
        """Set a GPU's power limit (needs root); raises `MeterPermissionError` otherwise."""
        self._call(
            self.nvml.nvmlDeviceSetPowerManagementLimit,
            "set power limit",
            self.handles[position],
            int(watts * 1000),
        )

    def close(self) -> None:
        with contextlib.suppress(self.nvml.NVMLError):
            self.nvml.nvmlShutdown()


class RaplMeter(EnergyMeter):
    """CPU package energy from Linux RAPL (`/sys/class/powercap/intel-rapl:N/energy_uj`).

    The counters wrap at `max_energy_range_uj`; polling (default every second) keeps at most
    one wrap between readings. Since Linux 5.10 `energy_uj` is readable only by root
    (CVE-2020-8694), so on most machines this meter is unavailable to ordinary users.
    """

    kind = "rapl"

    def __init__(
        self,
        root: str | Path = "/sys/class/powercap",
        *,
        poll_interval_s: float | None = 1.0,
        clock: Callable[[], float] = time.perf_counter,
    ):
        super().__init__(poll_interval_s, clock)
        root = Path(root)
        zones = (
            sorted(p for p in root.glob("intel-rapl:*") if p.name.count(":") == 1) if root.is_dir() else []
        )
        self.zones = [z for z in zones if (z / "name").read_text().strip().startswith("package")]
        if not self.zones:
            raise MeterUnavailableError(f"no RAPL package domains under {root}")
        self.names = [(z / "name").read_text().strip() for z in self.zones]
        try:
            self.ranges = [float((z / "max_energy_range_uj").read_text()) for z in self.zones]
            for z in self.zones:
                (z / "energy_uj").read_text()
        except PermissionError:
            raise MeterPermissionError(
                f"RAPL counters under {root} are readable only by root (Linux >= 5.10, CVE-2020-8694)"
            ) from None
        self.available = True
        self._last: list[float] = []
        self._sum: list[float] = []

    def _start_devices(self) -> None:
        self._last = [float((z / "energy_uj").read_text()) for z in self.zones]
        self._sum = [0.0] * len(self.zones)

    def _sample_devices(self, now: float) -> None:
        for i, z in enumerate(self.zones):
            value = float((z / "energy_uj").read_text())
            delta = value - self._last[i]
            self._sum[i] += delta if delta >= 0 else delta + self.ranges[i]
            self._last[i] = value

    def _finish_devices(self, duration_s: float) -> list[DeviceEnergy]:
        return [
            DeviceEnergy(i, name, s / 1e6, s / 1e6 / duration_s if duration_s > 0 else None, "rapl", 0,
                         ["RAPL package energy: CPU cores, caches and memory controller, not DRAM"])
            for i, (name, s) in enumerate(zip(self.names, self._sum))
        ]  # fmt: skip


def make_meter(device_type: str, indices: list[int] | None = None) -> EnergyMeter:
    """The best meter for `device_type` ('cuda' or 'cpu'); a NullMeter saying why if none works."""
    try:
        if device_type == "cuda":
            return NvmlMeter(indices)
        if device_type == "cpu":
            return RaplMeter()
    except MeterError as exc:
        return NullMeter(f"energy unavailable: {exc}")
    return NullMeter(f"energy unavailable: no meter for device type {device_type!r}")
