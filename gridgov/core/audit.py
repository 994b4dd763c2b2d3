"""The audit trail's writes and its verification (DESIGN D8; 等保 2.0 安全审计).

``audit_record`` appends one hash-chained row; ``audit_verify`` walks the chain and reports
the first row that was changed, inserted or deleted.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, Protocol

from django.db import models, transaction
from django.utils import timezone

from gridgov.core.context import current_request_context
from gridgov.core.models import AuditChainHead, AuditEntry

GENESIS_HASH = "0" * 64


class _Actor(Protocol):
    pk: Any

    def get_username(self) -> str: ...


def _canonical(entry: AuditEntry) -> bytes:
    payload = {
        "at": entry.at.isoformat(timespec="microseconds"),
        "actor": entry.actor_id,
        "actor_label": entry.actor_label,
        "action": entry.action,
        "object_type": entry.object_type,
        "object_id": entry.object_id,
        "object_label": entry.object_label,
        "ip": entry.ip_address,
        "purpose": entry.purpose,
        "changes": entry.changes,
        "previous": entry.previous_hash,
    }
    return json.dumps(payload, sort_keys=True, ensure_ascii=False, default=str).encode("utf-8")


def entry_digest(entry: AuditEntry) -> str:
    return hashlib.sha256(_canonical(entry)).hexdigest()


def _object_identity(target: models.Model | None) -> tuple[str, str]:
    if target is None:
        return "", ""
    return target._meta.label_lower, str(target.pk)


def audit_record(
    *,
    actor: _Actor | None,
    action: str,
    target: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_label: str = "",
    purpose: str = "",
    changes: dict[str, Any] | None = None,
    ip_address: str | None = None,
) -> AuditEntry:
    """Append one audit row, chained to the one before it.

    The chain head is locked for the append so that concurrent writers never fork the chain;
    call it inside the service's own transaction so the write and its audit row commit
    together. ``object_label`` and ``changes`` must not carry personal data in clear.
    """
    if target is not None:
        object_type, object_id = _object_identity(target)
    # Inside the caller's transaction no savepoint is needed: if the append fails, the write
    # it records must fail with it.
    with transaction.atomic(savepoint=False):
        head = AuditChainHead.objects.select_for_update().get(pk=1)
        entry = AuditEntry(
            at=timezone.now(),
            actor_id=getattr(actor, "pk", None),
            actor_label=actor.get_username() if actor is not None else "",
            action=action,
            object_type=object_type,
            object_id=object_id,
            object_label=object_label[:200],
            ip_address=ip_address or current_request_context().ip_address,
            purpose=purpose[:500],
            changes=_json_safe(changes or {}),
            previous_hash=head.last_hash,
        )
        entry.entry_hash = entry_digest(entry)
        entry.save()
        AuditChainHead.objects.filter(pk=1).update(
            last_entry_id=entry.pk,
            last_hash=entry.entry_hash,
            entry_count=models.F("entry_count") + 1,
        )
    return entry


def _json_safe(value: dict[str, Any]) -> dict[str, Any]:
    # Round-trip so the stored JSON is exactly what the hash was computed over.
    loaded: dict[str, Any] = json.loads(json.dumps(value, ensure_ascii=False, default=str))
    return loaded


@dataclass
class AuditVerification:
    checked: int = 0
    problems: list[str] = field(default_factory=list)

    @property
    def is_intact(self) -> bool:
        return not self.problems


def _entries_in_order(batch_size: int = 2000) -> Iterator[AuditEntry]:
    last_id = 0
    while True:
        batch = list(AuditEntry.objects.filter(id__gt=last_id).order_by("id")[:batch_size])
        if not batch:
            return
        yield from batch
        last_id = batch[-1].pk


def audit_verify() -> AuditVerification:
    """Recompute every row's hash and every link; compare the end with the chain head."""
    result = AuditVerification()
    previous_hash = GENESIS_HASH
    last_id = 0
    for entry in _entries_in_order():
        result.checked += 1
        if entry.previous_hash != previous_hash:
            result.problems.append(
                f"entry #{entry.pk}: link to the previous entry is broken "
                f"(a row before it was deleted, inserted or changed)"
            )
        if entry_digest(entry) != entry.entry_hash:
            result.problems.append(f"entry #{entry.pk}: content does not match its hash (changed)")
        previous_hash = entry.entry_hash
        last_id = entry.pk
    head = AuditChainHead.objects.get(pk=1)
    if head.last_entry_id != last_id or head.last_hash != previous_hash:
        result.problems.append(
            f"chain head expects entry #{head.last_entry_id} last, found #{last_id} "
            f"(newest rows were deleted or appended outside the application)"
        )
    if head.entry_count != result.checked:
        result.problems.append(
            f"chain head counts {head.entry_count} entries, found {result.checked}"
        )
    return result
