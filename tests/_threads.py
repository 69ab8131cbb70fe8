"""Races in tests: calls run in threads released together, the way two service processes or
two starting workers meet."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence


def run_together(calls: Sequence[Callable[[], object]]) -> list[BaseException]:
    """Run every call in its own thread, all released at once; the exceptions they raised."""
    start, errors = threading.Barrier(len(calls)), []

    def run(call: Callable[[], object]) -> None:
        start.wait()
        try:
            call()
        except BaseException as exc:  # collected: the test names it
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(call,)) for call in calls]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return errors
