"""From a budget to a plan: which model, how many tokens, on what, and what it costs over its life."""
