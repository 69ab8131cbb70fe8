"""The audit log: every decision the service makes, appended to one SQLite table: application
and fraud decisions (``record_for``) and B and C account answers (``account_records``) alike.

Each row keeps what a reviewer or a regulator asks for: when, which models (name and version),
a keyed hash of the exact input (``input_hmac``: HMAC-SHA256 of its canonical JSON, sorted
keys) with the id of the key (``key_id``), the answer (score, class, limit, rate, decision,
reason codes; for an application also the policy rules that fired and the fraud model's reason
codes, which say why a knock-out rejected it) and the input itself with personal data masked
(free text too: a business name carrying a phone number is stored with it masked).

Why a masked input is enough to replay a decision: the models and the policy never read the
owner's ID number or phone (they are keys for the loan system, not features), so every field
a decision depends on is stored as sent. ``replay`` scores that stored input again with the
given models and says whether the answer is the same. The hash is of the unmasked input, so
the loan system can prove which request it sent (``verify_body``, ``riskmodels audit verify``)
without the log keeping the personal data.

Why keyed. A mask hides 8 ID digits (a birth date, narrowed by the stored age) and 4 phone
digits: a plain SHA-256 beside it let anyone holding the database enumerate the hidden digits
and recover both in about a second. The HMAC key (``Settings.resolved_pseudonym_key``; see
``riskmodels.config`` for where it comes from) is never stored here: the database holds only
its id, so a guess cannot be checked without the key, which is 128 to 256 random bits.

Rotating the key (say yearly, or when someone who held it leaves):

1. Make a new key (``python -c 'import secrets; print(secrets.token_hex(32))'``) in the
   bank's secret store; note the old key's id (``riskmodels audit key-id``).
2. Point ``RISKMODELS_PSEUDONYM_KEY`` (or ``_FILE``) at the new key and restart the service.
   New records carry the new key id; old records keep theirs and are never re-hashed.
3. Keep the old key, labelled with its id, in the secret store: an old record is verified with
   ``riskmodels audit verify REQUEST_ID --body FILE --key-file OLD_KEY``, or, given the old keys
   as ``previous`` (``verify_body(record, body, key, previous)``), with the one of the record's
   ``key_id``. Previous keys only verify: records, hashes and idempotency keys use the key in use.
4. Destroy the old key once ``riskmodels audit purge`` has deleted its last record (after
   ``audit_retention_days``). Idempotency keys sent before the rotation are not recognised
   after it: a repeat across the restart is scored again, so rotate in a quiet hour.

Retention. ``purge`` deletes records (and idempotent answers) older than a date; ``riskmodels
audit purge`` uses ``audit_retention_days`` (default 1825, five years). The database runs with
``secure_delete`` and the purge truncates the write-ahead log, so deleted rows do not linger
in free pages.

Idempotency. ``append(records, idempotency=...)`` stores, in the same transaction, the answer
given to a client's ``Idempotency-Key`` (the key kept as an HMAC pseudonym, the answer's body
holding no personal data); ``recall`` returns it for a repeat. A second answer under the same
key and endpoint raises ``IdempotencyConflict`` and writes none of its records.

Durability. No answer leaves before its record is on disk: ``append`` returns only after a
commit that SQLite has fsynced (WAL with ``synchronous=FULL``). ``synchronous=NORMAL`` would
survive a crash of the process but lose the last commits on a power cut or a kernel crash,
after their answers had been given: that is exactly the decision a regulator asks about, so
the log pays one fsync per commit. To keep that cost down under load, ``append`` commits in
groups: whoever holds the writer lock commits every record queued by other threads meanwhile,
in one transaction and one fsync, each caller's records in its own savepoint (one caller's
failure, a duplicate request id say, fails only that caller).
"""

from riskmodels.audit.log import (
    AuditLog,
    AuditRecordNotFound,
    AuditSchemaError,
    IdempotencyConflict,
    migrate_plain_digests,
    show,
)
from riskmodels.audit.records import (
    DILIGENCE_ENDPOINTS,
    AuditError,
    AuditRecord,
    BodyCheck,
    IdempotentAnswer,
    account_outcome_of,
    account_records,
    canonical_json,
    differing_fields,
    diligence_outcome_of,
    input_digest,
    key_of,
    outcome_of,
    record_for,
    replay,
    replay_outcome,
    verify_body,
)

__all__ = ["DILIGENCE_ENDPOINTS", "AuditError", "AuditLog", "AuditRecord", "AuditRecordNotFound", "AuditSchemaError",
           "BodyCheck", "IdempotencyConflict", "IdempotentAnswer", "account_outcome_of", "account_records",
           "canonical_json", "differing_fields", "diligence_outcome_of", "input_digest", "key_of",
           "migrate_plain_digests", "outcome_of", "record_for", "replay", "replay_outcome", "show", "verify_body"]
