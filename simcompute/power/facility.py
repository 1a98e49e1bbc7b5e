"""Facility power from IT power: cooling, distribution and other overheads as a PUE."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Uptime Institute Global Data Center Survey 2023: industry-average annual PUE 1.58.
# https://uptimeinstitute.com/resources/research-and-reports/uptime-institute-global-data-center-survey-results-2023
DEFAULT_PUE = 1.58

# Shehabi et al. 2016, "United States Data Center Energy Usage Report" (LBNL-1005775), p. 28:
# average on-site water use of US data centers, 1.8 L per kWh of IT energy.
# https://eta.lbl.gov/publications/united-states-data-center-energy
DEFAULT_WUE_L_PER_KWH = 1.8


@dataclass(frozen=True)
class ConstantPue:
    """Facility power = PUE x IT power, at every instant."""

    pue: float

    def __post_init__(self) -> None:
        if self.pue < 1.0:
            raise ValueError(f"PUE must be >= 1, got {self.pue}")

    def pue_at(self, t_s: np.ndarray) -> np.ndarray:
        """PUE over time (constant here; weather-driven models vary it)."""
        return np.full(np.shape(t_s), self.pue, dtype=float)
