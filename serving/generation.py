"""A reload reaches every worker: the served models' generation, shared through one file.

With several workers (``RISKMODELS_WORKERS``), ``POST /v1/admin/reload`` lands on one of them.
That worker reloads, then writes the models it now serves to the generation file beside the
audit log (a temporary file renamed over it, so a reader never sees half of one). Every worker,
before it answers, compares the file's stamp (one ``stat``, about a microsecond) with the one
it last saw, and on a change reloads too. So once the admin has the reload's answer, no worker
starts a decision with the old models. A worker whose own reload fails keeps the models it has
and logs why; its answers name their model versions, so the audit shows which were used.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

Stamp = tuple[int, int, int] | None  # (inode, size, mtime in ns) of the file; None while there is none


def generation_file(audit_db: Path) -> Path:
    """The generation file of the deployment whose audit log is ``audit_db``: its workers
    share that log, so they share this file."""
    return audit_db.with_name(audit_db.name + ".served.json")


class Generation:
    """One worker's view of the shared generation file: ``seen`` is the stamp of the last reload
    this worker made or followed (set by its caller, under its reload lock)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen = self.current()  # a worker starts with the champions of its start-up

    def current(self) -> Stamp:
        """The file's stamp now."""
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return st.st_ino, st.st_size, st.st_mtime_ns

    def publish(self, models: Iterable[str]) -> None:
        """Tell the other workers to reload: this worker now serves ``models`` (name vN)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        text = json.dumps({"served_by": os.getpid(), "models": sorted(models)})
        fd, tmp = tempfile.mkstemp(prefix=self.path.name, dir=self.path.parent)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as out:
                out.write(text)
            os.replace(tmp, self.path)  # a new inode: the stamp changes even within one mtime tick
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        self.seen = self.current()

    def published(self) -> list[str]:
        """The models the last reload published (empty before any)."""
        try:
            return list(json.loads(self.path.read_text(encoding="utf-8"))["models"])
        except FileNotFoundError:
            return []
