"""Energy meters without hardware: NVML replayed by a fake module, RAPL from a fake sysfs."""

from __future__ import annotations

import itertools

import pytest

from calibration.power import (
    MeterNoDeviceError,
    MeterNotSupportedError,
    MeterPermissionError,
    MeterUnavailableError,
    NullMeter,
    NvmlMeter,
    RaplMeter,
    make_meter,
)


class FakeNVMLError(Exception):
    def __init__(self, value: int):
        super().__init__(f"NVML error {value}")
        self.value = value


class FakeNvml:
    """Replays recorded NVML values: counter readings (mJ) or power readings (mW) per GPU.

    A list entry that is an int error code raises that NVMLError when reached.
    """

    NVMLError = FakeNVMLError
    NVML_ERROR_UNINITIALIZED, NVML_ERROR_INVALID_ARGUMENT, NVML_ERROR_NOT_SUPPORTED = 1, 2, 3
    NVML_ERROR_NO_PERMISSION, NVML_ERROR_NOT_FOUND, NVML_ERROR_DRIVER_NOT_LOADED = 4, 6, 9
    NVML_ERROR_LIBRARY_NOT_FOUND, NVML_ERROR_FUNCTION_NOT_FOUND, NVML_ERROR_GPU_IS_LOST = 12, 13, 15
    NVML_CLOCK_SM, NVML_CLOCK_MEM = 1, 2

    def __init__(self, counters=None, powers=None, init_error=None, count=1):
        self.counters = {i: list(v) for i, v in (counters or {}).items()}
        self.powers = {i: list(v) for i, v in (powers or {}).items()}
        self.init_error, self.count = init_error, count

    def nvmlInit(self):
        if self.init_error:
            raise FakeNVMLError(self.init_error)

    def nvmlShutdown(self):
        pass

    def nvmlDeviceGetCount(self):
        return self.count

    def nvmlDeviceGetHandleByIndex(self, i):
        if i >= self.count:
            raise FakeNVMLError(self.NVML_ERROR_INVALID_ARGUMENT)
        return i

    def nvmlDeviceGetName(self, h):
        return b"NVIDIA H200"

    @staticmethod
    def _next(values):
        value = values.pop(0) if len(values) > 1 else values[0]
        if isinstance(value, int) and value < 0:
            raise FakeNVMLError(-value)
        return value

    def nvmlDeviceGetTotalEnergyConsumption(self, h):
        if h not in self.counters:
            raise FakeNVMLError(self.NVML_ERROR_NOT_SUPPORTED)
        return self._next(self.counters[h])

    def nvmlDeviceGetPowerUsage(self, h):
        return self._next(self.powers[h])

    def nvmlDeviceGetEnforcedPowerLimit(self, h):
        return 700_000

    def nvmlDeviceGetClockInfo(self, h, clock):
        return 1980 if clock == self.NVML_CLOCK_SM else 2619

    def nvmlDeviceGetMaxClockInfo(self, h, clock):
        raise FakeNVMLError(self.NVML_ERROR_NOT_SUPPORTED)

    def nvmlSystemGetDriverVersion(self):
        return "550.54.15"

    def nvmlSystemGetCudaDriverVersion(self):
        return 12040

    def nvmlDeviceSetPowerManagementLimit(self, h, mw):
        raise FakeNVMLError(self.NVML_ERROR_NO_PERMISSION)


def _clock(*times):
    it = itertools.chain(times, itertools.repeat(times[-1]))
    return lambda: next(it)


def test_energy_counter_with_reset_is_summed_and_flagged():
    # probe, begin, 2 samples, reset, end (mJ); the reset loses nothing but the reset interval
    nvml = FakeNvml(counters={0: [0, 1_000, 3_000, 5_000, 200, 1_200]})
    meter = NvmlMeter(nvml=nvml, poll_interval_s=None, clock=_clock(10.0, 12.0))
    meter.begin()
    for _ in range(3):
        meter.sample()
    reading = meter.end()
    assert reading.available
    assert reading.energy_j == pytest.approx((2_000 + 2_000 + 200 + 1_000) / 1000)
    assert reading.duration_s == pytest.approx(2.0)
    assert reading.mean_power_w == pytest.approx(2.6)
    assert reading.method == "nvml_energy_counter"
    assert any("went back" in c for c in reading.caveats)


def test_counter_not_supported_falls_back_to_power_polling():
    nvml = FakeNvml(powers={0: [100_000, 300_000, 300_000]})  # mW
    meter = NvmlMeter(nvml=nvml, poll_interval_s=None, clock=_clock(0.0, 1.0, 3.0))
    meter.begin()
    meter.sample()
    reading = meter.end()
    # trapezoids: 1 s at (100+300)/2 W, then 2 s at 300 W
    assert reading.energy_j == pytest.approx(200.0 + 600.0)
    assert reading.method == "nvml_power_polling"
    assert any("pre-Volta" in c for c in reading.caveats)


def test_failure_mid_window_gives_no_number():
    nvml = FakeNvml(counters={0: [0, 1_000, -FakeNvml.NVML_ERROR_GPU_IS_LOST]})
    meter = NvmlMeter(nvml=nvml, poll_interval_s=None, clock=_clock(0.0, 1.0))
    meter.begin()
    reading = meter.end()
    assert not reading.available and reading.energy_j is None
    assert "lost" in reading.reason


def test_nvml_errors_are_translated():
    with pytest.raises(MeterUnavailableError, match="no NVIDIA driver"):
        NvmlMeter(nvml=FakeNvml(init_error=FakeNvml.NVML_ERROR_LIBRARY_NOT_FOUND))
    with pytest.raises(MeterNoDeviceError, match="no such GPU"):
        NvmlMeter([3], nvml=FakeNvml(counters={0: [0]}))
    meter = NvmlMeter(nvml=FakeNvml(counters={0: [0]}))
    with pytest.raises(MeterPermissionError, match="permission denied"):
        meter.set_power_limit_w(400)
    with pytest.raises(MeterNotSupportedError, match="not supported"):
        meter._call(meter.nvml.nvmlDeviceGetMaxClockInfo, "max clock", 0, 1)


def test_info_records_limit_clocks_and_driver():
    info = NvmlMeter(nvml=FakeNvml(counters={0: [0]})).info()
    assert info["driver"] == "550.54.15" and info["cuda_driver"] == "12.4"
    dev = info["devices"][0]
    assert dev["name"] == "NVIDIA H200" and dev["power_limit_w"] == 700.0
    assert dev["sm_clock_mhz"] == 1980 and dev["max_sm_clock_mhz"] is None  # unsupported -> None


def test_meter_without_nvml_reports_unavailable(monkeypatch):
    import calibration.power as power

    def missing(name):
        raise ImportError(name)

    monkeypatch.setattr(power.importlib, "import_module", missing)
    meter = make_meter("cuda")
    assert isinstance(meter, NullMeter) and "nvidia-ml-py" in meter.reason
    meter.begin()
    reading = meter.end()
    assert not reading.available and reading.energy_j is None and reading.mean_power_w is None
    assert meter.measure_idle_power_w(0.0) is None


def _rapl(root, energy_uj, max_uj=1_000_000):
    zone = root / "intel-rapl:0"
    zone.mkdir(parents=True, exist_ok=True)
    (zone / "name").write_text("package-0\n")
    (zone / "max_energy_range_uj").write_text(f"{max_uj}\n")
    (zone / "energy_uj").write_text(f"{energy_uj}\n")
    return zone


def test_rapl_sums_across_a_wrap(tmp_path):
    zone = _rapl(tmp_path, 900_000)
    meter = RaplMeter(tmp_path, poll_interval_s=None, clock=_clock(0.0, 2.0))
    meter.begin()
    (zone / "energy_uj").write_text("100000\n")  # wrapped: +200,000 uJ
    reading = meter.end()
    assert reading.energy_j == pytest.approx(0.2)
    assert reading.mean_power_w == pytest.approx(0.1)


def test_rapl_absent_or_unreadable_is_unavailable(tmp_path):
    with pytest.raises(MeterUnavailableError):
        RaplMeter(tmp_path / "nothing")
    zone = _rapl(tmp_path, 5)
    (zone / "energy_uj").chmod(0)
    try:
        with pytest.raises((MeterPermissionError, AssertionError)):
            RaplMeter(tmp_path)
            raise AssertionError("readable (running as root)")
    finally:
        (zone / "energy_uj").chmod(0o644)
