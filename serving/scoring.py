"""The service's state and its work: keys, the audit log, the models in use; scoring rows and
auditing them, reloading. No HTTP here (``serving.routes``) and no BentoML (``serving.service``).
"""

from __future__ import annotations

import logging
import sqlite3
import threading
from collections.abc import Sequence
from dataclasses import replace
from typing import Any, TypeVar

from riskmodels.audit import AuditLog, AuditRecord, IdempotentAnswer, account_records, record_for
from riskmodels.config import Settings
from riskmodels.decision import (
    BehaviorResult,
    CollectionResult,
    Decision,
    ModelBundle,
    decide,
    score_behavior,
    score_collection,
)
from riskmodels.links import LINKED_COLUMNS, LinkStore
from riskmodels.loans import LoanStore
from serving.context import REQUEST_ID
from serving.generation import Generation, generation_file
from serving.guard import NO_KEYS, KeyRing
from serving.problems import ProblemError
from serving.schemas import ErrorItem
from serving.settings import ServiceSettings
from serving.state import Loaded, ReloadError, load_models, reload_models

log = logging.getLogger("riskmodels.serving")

Rows = Sequence[tuple[str, dict[str, Any]]]  # (request id, the row as JSON values)


def with_linked(record: AuditRecord, decided_on: dict[str, Any]) -> AuditRecord:
    """``record`` holding the link counts and list check the decision used (``decided_on``)."""
    return replace(record, decided_on={c: decided_on[c] for c in LINKED_COLUMNS})


def _names(loaded: Loaded) -> list[str]:
    return [f"{m.name} v{m.version}" for m in loaded.models]


Account = TypeVar("Account", BehaviorResult, CollectionResult)
TAKEN_RULE = "must name one request only: this id already names an audited decision (send a new one)"


class Scoring:
    """Keys, audit log and models, loaded once; ``loaded`` is swapped whole on reload."""

    def __init__(self, settings: Settings, service_settings: ServiceSettings | None = None) -> None:
        self.settings = settings
        # The service's own (RISKMODELS_REQUEST_DEADLINE): a bad value stops the start-up, saying why.
        self.service_settings = service_settings or ServiceSettings()
        self.keys = KeyRing.of(settings.api_keys, settings.admin_keys)
        if not self.keys.scoring:
            log.warning(NO_KEYS)
        self.audit = AuditLog.from_settings(settings)
        # The platform's own identity links and lists: their counts replace the caller's.
        self.links = LinkStore.from_settings(settings)
        # Facilities, draws, freezes and officers' decisions (riskmodels.loans).
        self.loans = LoanStore.from_settings(settings)
        self._reload_lock = threading.Lock()
        # Request ids whose applications this worker recorded in the link store and has not
        # yet committed: forgotten again if their decision is refused or fails (``commit``).
        self._recorded: set[str] = set()
        self._recorded_lock = threading.Lock()
        # Several workers share one generation file: a reload in one reaches them all.
        self.generation = Generation(generation_file(settings.resolved_audit_db))
        self._loaded = load_models(settings)

    @property
    def loaded(self) -> Loaded:
        """The models in use; first reloaded when another worker has reloaded since. A request
        arriving while this worker follows waits for it (the lock), so none is answered with
        the models the reload replaced."""
        if self.generation.current() != self.generation.seen:
            with self._reload_lock:
                stamp = self.generation.current()
                if stamp != self.generation.seen:
                    self._follow()
                    self.generation.seen = stamp  # a failed follow is not retried on every request
        return self._loaded

    def _follow(self) -> None:
        """Reload after another worker did (called under the reload lock)."""
        try:
            self._loaded = reload_models(self._loaded, self.settings)
        except ReloadError as exc:
            log.error("another worker reloaded; this one keeps its models: %s", exc.detail)
            return
        except Exception:  # the registry unreachable: keep serving, with the models named in each answer
            log.exception("another worker reloaded; this one failed to and keeps its models")
            return
        served = sorted(_names(self._loaded))
        if served != self.generation.published():
            log.warning("another worker reloaded %s; this one now serves %s (a champion changed between)",
                        self.generation.published(), served)

    def is_ready(self) -> bool:
        """Ready to score: the required champions are loaded and a scoring key is configured."""
        return self.loaded.bundle is not None and bool(self.keys.scoring)

    def close(self) -> None:
        self.audit.close()
        self.links.close()
        self.loans.close()

    def bundle(self) -> ModelBundle:
        bundle = self.loaded.bundle
        if bundle is None:
            raise ProblemError(503, f"not ready: {self.loaded.problem}; nothing was scored", "not-ready")
        return bundle

    def commit(self, records: list[AuditRecord], idempotency: IdempotentAnswer | None = None) -> None:
        """Audit the records (and the answer given under an Idempotency-Key) in one transaction.

        No answer leaves without its audit record: a failed write fails the request. Raises
        ``IdempotencyConflict`` when another request stored an answer under the same key first.
        """
        try:
            self.audit.append(records, idempotency=idempotency)
        except sqlite3.IntegrityError as exc:  # the request id (primary key) names another decision
            self._settle([r.request_id for r in records], refused=True)
            raise ProblemError(409, f"the {REQUEST_ID} names another decision; nothing was scored",
                               "request-id-taken", [ErrorItem(field=REQUEST_ID, rule=TAKEN_RULE)]) from exc
        except BaseException:  # a repeat that committed first, the disk: this answer never leaves
            self._settle([r.request_id for r in records], refused=True)
            raise
        self._settle([r.request_id for r in records], refused=False)

    def _settle(self, request_ids: Sequence[str], *, refused: bool) -> None:
        """Done with these requests' link records: kept when their decisions are audited, else
        removed, so a refused request adds nothing to the owner's counts in later decisions."""
        with self._recorded_lock:
            mine = [r for r in request_ids if r in self._recorded]
            self._recorded.difference_update(mine)
        if refused and mine:
            self.links.forget(mine)

    def decide_rows(self, endpoint: str, rows: Rows) -> tuple[list[Decision], list[AuditRecord]]:
        """The decisions of ``rows`` and their audit records (not yet written: ``commit``)."""
        bundle = self.bundle()
        # Each application is recorded in the link store (once per request id) and decided on
        # the store's counts and list check. The audit keeps the input as it was sent (its hash
        # and masked copy) and the linked values the decision used, so a replay reproduces it.
        used, new = self.links.recorded_rows(rows)
        with self._recorded_lock:
            self._recorded.update(new)
        try:
            decisions = [decide(row, bundle, request_id=request_id)
                         for (request_id, _), row in zip(rows, used, strict=True)]
        except BaseException:  # a card not deployed, a bug: nothing is answered, so nothing is linked
            self._settle(new, refused=True)
            raise
        key = self.audit.key
        return decisions, [with_linked(record_for(d.request_id, endpoint, row, d, key=key), decided_on)
                           for (_, row), decided_on, d in zip(rows, used, decisions, strict=True)]

    def behavior_answers(self, endpoint: str, rows: Rows) -> tuple[list[BehaviorResult], list[AuditRecord]]:
        self.bundle()  # not ready (no A card or fraud model): nothing is scored, on any route
        scored = score_behavior(self.loaded.accounts, [row for _, row in rows])  # ModelNotDeployed -> 503
        return self._own_ids(endpoint, rows, scored)

    def collection_answers(self, endpoint: str, rows: Rows) -> tuple[list[CollectionResult], list[AuditRecord]]:
        self.bundle()
        return self._own_ids(endpoint, rows, score_collection(self.loaded.accounts, [row for _, row in rows]))

    def _own_ids(self, endpoint: str, rows: Rows, scored: list[Account]) -> tuple[list[Account], list[AuditRecord]]:
        # The cards give each answer an id of their own: the request's (or its row's) replaces it.
        results = [r.model_copy(update={"request_id": request_id})
                   for (request_id, _), r in zip(rows, scored, strict=True)]
        return results, account_records(endpoint, [row for _, row in rows], results, key=self.audit.key)

    def reload(self) -> Loaded:
        """The current champions, checked, now in use; ``ReloadError`` keeps the old ones."""
        with self._reload_lock:
            try:
                fresh = reload_models(self._loaded, self.settings)
            except ReloadError:
                raise
            except Exception as exc:  # the registry unreachable, anything: keep serving, and say why
                log.exception("reload failed")
                raise ReloadError(503, "reload-failed", f"reload failed, previous models kept: "
                                  f"{type(exc).__name__}: {exc}", {"registry": f"{type(exc).__name__}: {exc}"}) from exc
            self._loaded = fresh
            self.generation.publish(_names(fresh))
        return fresh
