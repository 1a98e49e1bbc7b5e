"""Monte Carlo over uncertain inputs: intervals for every summary column, and their drivers."""

from simcompute.uncertainty.montecarlo import MonteCarloResult, monte_carlo, sample_runs

__all__ = ["MonteCarloResult", "monte_carlo", "sample_runs"]
