"""Where the engine's warnings point: the first caller outside this package.

A fixed ``stacklevel`` is right for one path only (``predict_proba`` -> ``_scoring_frame`` ->
``points`` is deeper than ``contributions_one`` -> ``points_one``), and Python 3.11 has no
``skip_file_prefixes``; so the level is counted from the stack at the time of the warning.
"""

from __future__ import annotations

import inspect
from pathlib import Path

_PACKAGE = str(Path(__file__).parent)


def outside_stacklevel() -> int:
    """``warnings.warn``'s stacklevel naming the innermost frame outside ``riskmodels.scorecard``,
    when called from the function that warns."""
    frame = inspect.currentframe()
    level = 0
    # Counting this function's own frame makes the count line up with warn's: 1 is the warner.
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE):
        frame = frame.f_back
        level += 1
    del frame  # a frame reference in a local keeps the stack alive (inspect's own advice)
    return level
