"""Choose and rank candidates under budgets, grid headroom and other limits."""
