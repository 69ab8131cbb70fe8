"""The loan after the decision: facilities, drawdown checks, freezes from post-loan actions,
and the officer's final decision on a referred application (overrides)."""
