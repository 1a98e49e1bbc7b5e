"""Facility power from IT power: a constant PUE, or a weather-driven cooling model.

Cooling model (per hour of weather, at the instantaneous IT load): the white space's heat
(IT power + distribution losses) is removed by a chilled-water plant with a cooling tower and
a water-side economiser. Below `free_cooling_wet_bulb_c` the tower alone cools the chilled
water (free cooling); above it the chiller takes a growing share over `economiser_band_c`.
The chiller's COP is a fraction of the Carnot COP between the evaporating and condensing
temperatures (so it falls as it gets hotter) times a part-load curve (so it falls at low
load). Fans and pumps draw a fixed fraction of the heat; UPS and distribution lose a fixed
fraction of the IT power. Everything is in SI units (W, degrees C).
"""

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

KELVIN = 273.15

# Latent heat of vaporisation of water at ~25 C: 2.44 MJ/kg (CRC Handbook of Chemistry and
# Physics, "Enthalpy of vaporization of water"); 1 kg = 1 L.
LATENT_HEAT_J_PER_L = 2.44e6

# Part-load curve EIR(PLR) = c0 + c1 PLR + c2 PLR^2 of a constant-speed centrifugal chiller with
# inlet vanes: EnergyPlus reference data set Chillers.idf, "ElectricEIRChiller McQuay WSC
# 471kW/5.89COP/Vanes" (EIRFPLR; also Modelica Buildings library
# Buildings.Fluid.Chillers.Data.ElectricEIR), minimum part-load ratio 0.10.
# https://github.com/NREL/EnergyPlus/blob/develop/datasets/Chillers.idf
EIR_PLR_COEFFS = (0.2778889, 0.2338363, 0.4883748)
MIN_PART_LOAD_RATIO = 0.10


@dataclass(frozen=True)
class ConstantPue:
    """Facility power = PUE x IT power, at every instant."""

    pue: float

    def __post_init__(self) -> None:
        if self.pue < 1.0:
            raise ValueError(f"PUE must be >= 1, got {self.pue}")


@dataclass(frozen=True)
class CoolingModel:
    """Chilled-water plant with cooling tower and water-side economiser (defaults cited)."""

    design_it_w: float
    # Chilled-water supply for a warm-water data-centre loop (ASHRAE TC 9.9 "Thermal Guidelines
    # for Data Processing Environments", 5th ed. 2021: recommended inlet air 18-27 C, so
    # chilled water at ~15-20 C is common in modern facilities).
    chilled_water_c: float = 18.0
    # Cooling-tower approach to wet-bulb ~4 K plus plate heat-exchanger approach ~2 K (ASHRAE
    # Handbook HVAC Systems and Equipment 2020, ch. 40 "Cooling Towers"): free cooling while
    # wet-bulb <= 18 - 6 = 12 C; the chiller takes over over one chilled-water range (6 K).
    free_cooling_wet_bulb_c: float = 12.0
    economiser_band_c: float = 6.0
    # Condensing temperature = wet-bulb + tower approach (4 K) + condenser water range (5 K) +
    # refrigerant approach (1 K); evaporating = chilled water - 2 K (ASHRAE Handbook, as above).
    condensing_above_wet_bulb_k: float = 10.0
    evaporating_below_chilled_water_k: float = 2.0
    # Real/Carnot COP: the McQuay WSC reference chiller (EnergyPlus Chillers.idf) has COP 5.89 at
    # 8.89 C leaving chilled water and 26.67 C entering condenser water; with the approaches
    # above (evaporating 6.9 C, condensing 32.7 C) Carnot is 10.9 -> 0.54; 0.55 used.
    carnot_fraction: float = 0.55
    cop_max: float = 15.0
    # CRAH fans, chilled- and condenser-water pumps and tower fans: ~5% of the heat load
    # (Barroso, Hoelzle, Ranganathan, "The Datacenter as a Computer", 3rd ed. 2018, Sec. 5.4 /
    # Fig. 5.4: fans and pumps a few percent of IT in efficient facilities).
    fan_pump_fraction: float = 0.05
    # UPS (double conversion ~96%) + transformers/PDUs (~1-2%): ~5% of IT power (Barroso et al.
    # 2018, Sec. 4.1-4.2; LBNL "Uninterruptible Power Supplies" benchmarking, Ton & Fortenbery 2005).
    distribution_loss_fraction: float = 0.05
    # Lighting, security, offices: ~1% of IT (Barroso et al. 2018, Sec. 5.4).
    other_fraction: float = 0.01
    # Cycles of concentration of the tower water: blowdown = evaporation / (cycles - 1)
    # (ASHRAE Handbook ch. 40; 3-6 typical) -> 5.
    cycles_of_concentration: float = 5.0

    def __post_init__(self) -> None:
        if self.design_it_w <= 0:
            raise ValueError(f"design IT power must be > 0, got {self.design_it_w}")

    def chiller_cop(self, wet_bulb_c: np.ndarray, part_load: np.ndarray) -> np.ndarray:
        """COP of the chiller at the wet-bulb temperature and part-load ratio (0..1)."""
        t_evap = self.chilled_water_c - self.evaporating_below_chilled_water_k + KELVIN
        t_cond = np.asarray(wet_bulb_c, dtype=float) + self.condensing_above_wet_bulb_k + KELVIN
        lift = np.maximum(t_cond - t_evap, 1.0)
        cop_full = np.minimum(self.carnot_fraction * t_evap / lift, self.cop_max)
        plr = np.clip(part_load, MIN_PART_LOAD_RATIO, 1.0)
        c0, c1, c2 = EIR_PLR_COEFFS
        eir_ratio = (c0 + c1 * plr + c2 * plr * plr) / plr  # relative EIR at part load
        return cop_full / eir_ratio

    def mechanical_fraction(self, wet_bulb_c: np.ndarray) -> np.ndarray:
        """Share of the heat the chiller removes (0: full free cooling, 1: no economiser)."""
        excess = np.asarray(wet_bulb_c, dtype=float) - self.free_cooling_wet_bulb_c
        return np.clip(excess / self.economiser_band_c, 0.0, 1.0)

    def overhead_w(self, it_w: np.ndarray, wet_bulb_c: np.ndarray) -> dict[str, np.ndarray]:
        """Facility power beyond IT, by component, at IT power `it_w` (arrays broadcast)."""
        it_w = np.asarray(it_w, dtype=float)
        distribution = it_w * self.distribution_loss_fraction
        heat = it_w + distribution
        mech = self.mechanical_fraction(wet_bulb_c)
        chiller_load = heat * mech
        part_load = np.divide(chiller_load, self.design_it_w * (1 + self.distribution_loss_fraction))
        cop = self.chiller_cop(wet_bulb_c, part_load)
        chiller = np.where(chiller_load > 0, chiller_load / cop, 0.0)
        fans = heat * self.fan_pump_fraction
        return {
            "chiller_w": chiller,
            "fans_pumps_w": fans,
            "distribution_w": distribution,
            "other_w": it_w * self.other_fraction,
        }

    def facility_w(self, it_w: np.ndarray, wet_bulb_c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(facility power, cooling power) at IT power `it_w` and wet-bulb temperature."""
        parts = self.overhead_w(it_w, wet_bulb_c)
        cooling = parts["chiller_w"] + parts["fans_pumps_w"]
        return np.asarray(it_w, dtype=float) + cooling + parts["distribution_w"] + parts["other_w"], cooling

    def water_l_per_j(self, it_w: np.ndarray, wet_bulb_c: np.ndarray) -> np.ndarray:
        """On-site water per joule of IT energy: the tower evaporates the heat it rejects.

        All heat (IT, losses, fans, chiller work) leaves through the tower; evaporation plus
        blowdown = heat / latent heat x cycles / (cycles - 1). An upper bound: in cold weather
        part of the heat leaves as sensible heat.
        """
        it_w = np.asarray(it_w, dtype=float)
        facility, _ = self.facility_w(it_w, wet_bulb_c)
        makeup = self.cycles_of_concentration / (self.cycles_of_concentration - 1.0)
        return np.divide(facility * makeup / LATENT_HEAT_J_PER_L, np.where(it_w > 0, it_w, 1.0))
