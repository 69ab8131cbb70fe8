"""riskmodels: credit-risk models and decisions for small and micro business lending.

Importing the package does nothing but define names; heavy modules load on first use.
"""

from __future__ import annotations

from typing import Any

__all__ = ["decide", "decide_frame"]


def __getattr__(name: str) -> Any:
    # Lazy, so `import riskmodels` stays instant and free of side effects.
    if name in __all__:
        from riskmodels import decision

        return getattr(decision, name)
    raise AttributeError(f"module 'riskmodels' has no attribute {name!r}")
