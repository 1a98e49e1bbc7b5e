"""From a budget to a plan: which model, how many tokens, on what, and what it costs over its life."""

from simcompute.budget.plan import BudgetPlan, plan_budget
from simcompute.budget.spec import BudgetSpec, load_budget

__all__ = ["BudgetPlan", "BudgetSpec", "load_budget", "plan_budget"]
