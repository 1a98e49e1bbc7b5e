"""Whole-run layer: what a training run really costs beyond the achievable step."""
