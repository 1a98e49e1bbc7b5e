"""Facility, carbon, water and price accounting over time, exact for piecewise-constant power.

Every owner's IT power is constant between its ledger changes; weather, carbon intensity and
prices are constant within each calendar hour. Facility overhead is shared between owners in
proportion to their IT power at each instant.
- With a constant PUE everything is linear in IT power, so each owner's totals are sums over
  its own segments (split at hour boundaries where an hourly price or intensity changes).
- With weather-driven cooling, PUE(t) depends on the total IT load and the weather, so the run
  is cut at the union of all change points and hour boundaries (the *elementary intervals*),
  on which everything is constant, and each integral is an exact sum of value x duration.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from simcompute.integrate import interval_means
from simcompute.power.facility import ConstantPue
from simcompute.units import J_PER_KWH, SECONDS_PER_HOUR

SITE_SERIES = (
    "cooling_w",
    "facility_w",
    "dry_bulb_c",
    "carbon_g_per_kwh",
    "price_usd_per_kwh",
    "water_l_per_s",
)
"""The site's series over time that `SiteSeries.means` averages."""


@dataclass(frozen=True)
class ElementarySeries:
    """The site's series on the elementary intervals between `edges` (`dry_bulb_c` is None
    without weather)."""

    edges: np.ndarray
    cooling_w: np.ndarray
    facility_w: np.ndarray
    dry_bulb_c: np.ndarray | None
    carbon_g_per_kwh: np.ndarray
    price_usd_per_kwh: np.ndarray
    water_l_per_s: np.ndarray

    def means(self, edges: np.ndarray, it_w: np.ndarray) -> dict[str, np.ndarray]:
        """Each `SITE_SERIES` averaged over [edges[i], edges[i+1]) (`it_w`, the IT power means
        there, is not needed: the series hold it)."""
        names = [name for name in SITE_SERIES if getattr(self, name) is not None]
        values = [getattr(self, name) for name in names]
        means = interval_means(self.edges[:-1], self.edges[1:], values, edges)
        out = {name: means[:, i] for i, name in enumerate(names)}
        out.setdefault("dry_bulb_c", np.full(len(edges) - 1, np.nan))
        return out


@dataclass(frozen=True)
class LinearSeries:
    """The site's series under a constant PUE: facility, cooling and water are linear in IT
    power; intensity and price are constant within each hour between `hour_edges`."""

    pue: float
    onsite_l_per_j: float
    offsite_l_per_kwh: float
    hour_edges: np.ndarray
    carbon_g_per_kwh: np.ndarray
    price_usd_per_kwh: np.ndarray

    def means(self, edges: np.ndarray, it_w: np.ndarray) -> dict[str, np.ndarray]:
        """Each `SITE_SERIES` averaged over [edges[i], edges[i+1]), where the IT power
        averages `it_w`."""
        hourly = interval_means(
            self.hour_edges[:-1], self.hour_edges[1:], [self.carbon_g_per_kwh, self.price_usd_per_kwh], edges
        )
        facility_w = it_w * self.pue
        return {
            "cooling_w": facility_w - it_w,
            "facility_w": facility_w,
            "dry_bulb_c": np.full(len(it_w), np.nan),
            "carbon_g_per_kwh": hourly[:, 0],
            "price_usd_per_kwh": hourly[:, 1],
            "water_l_per_s": it_w * self.onsite_l_per_j + facility_w / J_PER_KWH * self.offsite_l_per_kwh,
        }


@dataclass(frozen=True)
class Accounting:
    """Totals per owner (arrays in owner order) and the site's series over time."""

    owners: list[str]
    it_j: np.ndarray
    facility_j: np.ndarray
    cooling_j: np.ndarray
    co2_kg: np.ndarray
    marginal_co2_kg: np.ndarray
    energy_cost_usd: np.ndarray
    water_onsite_l: np.ndarray
    water_offsite_l: np.ndarray
    site: ElementarySeries | LinearSeries


def hour_boundaries(start_hour: float, offset_s: float, end_s: float) -> np.ndarray:
    """Simulation times in (0, end_s) where a calendar hour starts."""
    first = np.floor(start_hour + offset_s / SECONDS_PER_HOUR) + 1.0
    last = start_hour + (offset_s + end_s) / SECONDS_PER_HOUR
    hours = np.arange(first, np.ceil(last), dtype=float)
    t = (hours - start_hour) * SECONDS_PER_HOUR - offset_s
    return t[(t > 0) & (t < end_s)]


def account(site, power: pd.DataFrame, owners: list[str], end_s: float, offset_s: float = 0.0) -> Accounting:
    """Account the run's power at the site, with the run shifted to start `offset_s` later.

    `site` is a resolved `SiteSpec`; `power` the ledger segments (owner as a categorical over
    `owners`). The shift moves only the calendar (weather, intensity, prices), not the run.
    """
    if isinstance(site.facility, ConstantPue) and not site.water_from_cooling:
        return _account_linear(site, power, owners, end_s, offset_s)
    return _account_intervals(site, power, owners, end_s, offset_s)


def _segments(power: pd.DataFrame) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Start and end times, IT watts and owner codes of the ledger's segments."""
    t0 = power["t_start_s"].to_numpy(dtype=float)
    t1 = power["t_end_s"].to_numpy(dtype=float)
    seg_it = power["gpu_power_w"].to_numpy(dtype=float) + power["host_power_w"].to_numpy(dtype=float)
    seg_it += power["network_power_w"].to_numpy(dtype=float)
    codes = np.asarray(power["owner"].cat.codes if len(power) else [], dtype=np.int64)
    return t0, t1, seg_it, codes


def _hours(site, offset_s: float, end_s: float) -> tuple[np.ndarray, np.ndarray]:
    """The hour boundaries inside the run, and the absolute index of each hour it touches."""
    bounds = hour_boundaries(site.start_hour, offset_s, end_s)
    first_hour = int(np.floor(site.start_hour + offset_s / SECONDS_PER_HOUR))
    return bounds, np.arange(first_hour, first_hour + len(bounds) + 1)


def _account_linear(
    site, power: pd.DataFrame, owners: list[str], end_s: float, offset_s: float
) -> Accounting:
    """Constant PUE: every total is a sum over each owner's segments (O(segments))."""
    n_owners, pue = len(owners), site.facility.pue
    t0, t1, seg_it, codes = _segments(power)
    if len(t0) and (t0.min() < 0.0 or t1.max() > end_s):
        t0, t1 = np.clip(t0, 0.0, end_s), np.clip(t1, 0.0, end_s)
    energy = t1 - t0  # exact seconds in the run x watts: each segment's IT joules
    energy *= seg_it
    it_j = np.bincount(codes, weights=energy, minlength=n_owners)[:n_owners]
    bounds, hours = _hours(site, offset_s, end_s)
    hour_edges = np.concatenate([[0.0], bounds, [end_s]])
    grid = site.grid.hourly(hours)
    # the hour of each start and end (an end on a boundary belongs to the hour before it)
    start_hour = np.searchsorted(bounds, t0, side="right")
    end_hour = np.searchsorted(bounds, t1, side="left")
    cross = np.flatnonzero(end_hour > start_hour)  # few: segments that span an hour boundary
    a, b = start_hour[cross], end_hour[cross]
    head_s, tail_s = hour_edges[a + 1] - t0[cross], t1[cross] - hour_edges[b]
    piece = np.empty(len(t0))

    def hourly_total(per_hour: np.ndarray) -> np.ndarray:
        """Each owner's IT joules weighted by an hourly series."""
        if np.isnan(per_hour).any():  # a missing series (e.g. no marginal intensity): NaN for all
            return np.full(n_owners, np.nan)
        weighted = np.take(per_hour, start_hour, out=piece, mode="clip")
        weighted *= energy
        if len(cross):  # head and tail pieces, and the whole hours between them
            whole = np.concatenate([[0.0], np.cumsum(per_hour * np.diff(hour_edges))])
            weighted[cross] = seg_it[cross] * (
                head_s * per_hour[a] + tail_s * per_hour[b] + (whole[b] - whole[a + 1])
            )
        return np.bincount(codes, weights=weighted, minlength=n_owners)[:n_owners]

    facility_j = it_j * pue
    fac_kwh_per_j = pue / J_PER_KWH  # facility kWh per IT joule
    onsite_l_per_j = site.wue_l_per_kwh / J_PER_KWH
    offsite = site.grid.water_intensity_l_per_kwh
    return Accounting(
        owners=list(owners),
        it_j=it_j,
        facility_j=facility_j,
        cooling_j=facility_j - it_j,
        co2_kg=hourly_total(grid["carbon"]) * fac_kwh_per_j / 1000.0,
        marginal_co2_kg=hourly_total(grid["marginal"]) * fac_kwh_per_j / 1000.0,
        energy_cost_usd=hourly_total(grid["price"]) * fac_kwh_per_j,
        water_onsite_l=it_j * onsite_l_per_j,
        water_offsite_l=it_j * fac_kwh_per_j * offsite,
        site=LinearSeries(pue, onsite_l_per_j, offsite, hour_edges, grid["carbon"], grid["price"]),
    )


def _account_intervals(
    site, power: pd.DataFrame, owners: list[str], end_s: float, offset_s: float = 0.0
) -> Accounting:
    """Any facility: the totals and series on the elementary intervals (see the module
    docstring). `account` sends a constant PUE to `_account_linear`; the constant-PUE branch
    here is the exact reference that path is tested against. Arrays as long as the segments or
    the intervals are written into a few reused buffers: at a million requests each is tens of
    MB, and fresh memory costs more than the arithmetic."""
    n_owners = len(owners)
    t0, t1, seg_it, codes = _segments(power)
    bounds, hours = _hours(site, offset_s, end_s)
    edges = _edges(t0, t1, end_s, bounds)
    n = len(edges)
    dt = np.diff(edges)
    # every segment starts and ends on an edge: its first and last edge index (n = after the run)
    first = np.searchsorted(edges, t0)
    last = np.searchsorted(edges, t1)
    it_w = _total_level(first, last, seg_it, n) if end_s > 0 else np.zeros(len(dt))
    np.minimum(first, n - 1, out=first)  # for the totals: after the run = at its last edge
    np.minimum(last, n - 1, out=last)
    # Calendar hours: every hour boundary inside the run is an edge, so the intervals of each
    # hour are a run of consecutive intervals; hourly series are looked up once per hour and
    # repeated over its intervals.
    per_hour = np.diff(np.concatenate([[0], np.searchsorted(edges, bounds), [n - 1]]))
    grid = site.grid.hourly(hours)
    facility = site.facility
    if isinstance(facility, ConstantPue):
        facility_w = it_w * facility.pue
        cooling_w = facility_w - it_w
        dry = wet = None
    else:
        dry, wet = (np.repeat(series, per_hour) for series in site.weather.at(hours))
        facility_w, cooling_w = facility.facility_w(it_w, wet)
    pue = np.divide(facility_w, it_w, out=np.ones_like(it_w), where=it_w > 0)
    fac_kwh_per_w = np.multiply(pue, dt, out=pue)  # facility kWh per watt of IT power in each
    fac_kwh_per_w /= J_PER_KWH  # interval
    del pue
    prefix = np.empty(n)  # buffers reused by every total
    prefix[0] = 0.0
    ends, starts = np.empty(len(t0)), np.empty(len(t0))

    def total(weight: np.ndarray) -> np.ndarray:
        """Each owner's IT power integrated against a per-interval weight: per segment, its
        watts x the weight's sum over the intervals it covers (a difference of prefix sums),
        added up per owner. O(segments), whatever the number of owners."""
        np.cumsum(weight, out=prefix[1:])  # sum of weight up to each edge
        if np.isnan(prefix[-1]):  # a missing series (e.g. no marginal intensity): NaN for all
            return np.full(n_owners, np.nan)
        covered = np.take(prefix, last, out=ends, mode="clip")  # clip: indices are valid, no copy
        covered -= np.take(prefix, first, out=starts, mode="clip")
        covered *= seg_it
        return np.bincount(codes, weights=covered, minlength=n_owners)[:n_owners]

    inside = np.subtract(t1, t0, out=ends)  # exact seconds in the run (segments reaching outside it clipped)
    if len(t0) and (t0.min() < 0.0 or t1.max() > end_s):
        inside = np.clip(t1, 0.0, end_s) - np.clip(t0, 0.0, end_s)
    inside *= seg_it
    it_j = np.bincount(codes, weights=inside, minlength=n_owners)[:n_owners]
    del inside
    fac_kwh = total(fac_kwh_per_w)
    scratch = np.multiply(cooling_w, dt)  # one buffer for the weights below
    powered = it_w > 0
    np.divide(scratch, it_w, out=scratch, where=powered)
    scratch[~powered] = 0.0
    del powered
    cooling_j = total(scratch)
    carbon, price = np.repeat(grid["carbon"], per_hour), np.repeat(grid["price"], per_hour)
    co2_kg = total(np.multiply(fac_kwh_per_w, carbon, out=scratch)) / 1000.0
    if np.isnan(grid["marginal"]).any():
        marginal_co2_kg = np.full(n_owners, np.nan)
    else:
        marginal = np.repeat(grid["marginal"], per_hour)
        marginal_co2_kg = total(np.multiply(fac_kwh_per_w, marginal, out=scratch)) / 1000.0
        del marginal
    energy_cost_usd = total(np.multiply(fac_kwh_per_w, price, out=scratch))
    if site.water_from_cooling:
        onsite_l_per_j = facility.water_l_per_j(it_w, wet)
    else:
        onsite_l_per_j = site.wue_l_per_kwh / J_PER_KWH  # the same in every interval
    water_onsite_l = total(np.multiply(dt, onsite_l_per_j, out=scratch))
    del fac_kwh_per_w
    offsite = np.divide(facility_w, J_PER_KWH, out=scratch)
    offsite *= site.grid.water_intensity_l_per_kwh
    water_rate = np.multiply(it_w, onsite_l_per_j)
    water_rate += offsite
    return Accounting(
        owners=list(owners),
        it_j=it_j,
        facility_j=fac_kwh * J_PER_KWH,
        cooling_j=cooling_j,
        co2_kg=co2_kg,
        marginal_co2_kg=marginal_co2_kg,
        energy_cost_usd=energy_cost_usd,
        water_onsite_l=water_onsite_l,
        water_offsite_l=fac_kwh * site.grid.water_intensity_l_per_kwh,
        site=ElementarySeries(edges, cooling_w, facility_w, dry, carbon, price, water_rate),
    )


def _edges(t0: np.ndarray, t1: np.ndarray, end_s: float, bounds: np.ndarray) -> np.ndarray:
    """The sorted distinct change points in [0, end_s]: 0, end_s, every segment's start and end,
    and the hour boundaries `bounds`. A segment's end is only added where the next segment
    does not start there (one timeline's segments are contiguous: each end is the next start)."""
    ends = t1[:-1][t1[:-1] != t0[1:]] if len(t1) > 1 else t1[:0]
    values = np.concatenate([[0.0, end_s], t0, ends, t1[-1:], bounds])
    values.sort(kind="stable")  # long sorted runs (one replica's timeline): near-linear
    keep = np.empty(len(values), dtype=bool)
    keep[:1] = True
    np.not_equal(values[1:], values[:-1], out=keep[1:])
    edges = values[keep]
    edges = edges[np.searchsorted(edges, 0.0) : np.searchsorted(edges, end_s, side="right")]  # in [0, end]
    return edges if len(edges) >= 2 else np.array([0.0, end_s])


def _total_level(first: np.ndarray, last: np.ndarray, watts: np.ndarray, n: int) -> np.ndarray:
    """The IT power (W) of all owners on each of the n - 1 elementary intervals.

    Every segment starts and ends on an edge (the edges hold all change points), so the power
    on an interval is the running sum of +watts at segment starts and -watts at their ends.
    """
    delta = np.bincount(first, weights=watts, minlength=n + 1)
    delta -= np.bincount(last, weights=watts, minlength=n + 1)
    return np.cumsum(delta[: n - 1])
