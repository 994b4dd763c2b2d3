"""Moving stored encrypted values to the current field-encryption key, in batches (DESIGN D6).

Generic over the model: each app names its encrypted columns and how one stored value of a row
is re-encrypted (its associated data), and writes its own audit row. Rows are read by keyset
pagination on the primary key; only rows holding a value under another key are locked
(``select_for_update``), read again and rewritten, each batch in its own transaction, with
``bulk_update`` on those columns only: no ``save()``, no signals, no version bump, ``auto_now``
untouched — a rotation is not an edit. A stopped run resumes by running again, and a run with
nothing to do writes nothing. The procedure is in ``docs/operations.md`` §5.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db import models, transaction
from django.db.models.functions import Left, StrIndex
from django.db.models.lookups import GreaterThan

from gridgov.core.crypto import DecryptionError, current_key_id, key_id_of

# (row primary key, stored value) → the same plaintext under the current key.
Reencrypt = Callable[[int, str], str]
# (rows examined so far, rows in the table when the run started)
Progress = Callable[[int, int], None]

# Census label of a stored value that is not ``<key id>$<nonce>$<ciphertext>``.
MALFORMED = "(malformed)"


@dataclass(frozen=True)
class RotationFailure:
    """A stored value that no configured key decrypts. Names the row, never the value."""

    model: str
    row_id: int
    field: str


@dataclass
class RotationResult:
    dry_run: bool = False
    rows_examined: int = 0
    rows_rotated: int = 0
    values_rotated: int = 0
    failures: list[RotationFailure] = field(default_factory=list)

    @property
    def is_complete(self) -> bool:
        """Every examined value is now (or, in a dry run, could be) under the current key."""
        return not self.failures

    def counts(self) -> dict[str, int]:
        """Counts only, for the audit row."""
        return {
            "rows_examined": self.rows_examined,
            "rows_rotated": self.rows_rotated,
            "values_rotated": self.values_rotated,
            "values_failed": len(self.failures),
        }


def encrypted_fields_rotate(
    model: type[models.Model],
    reencrypt: Mapping[str, Reencrypt],
    *,
    batch_size: int = 2000,
    progress: Progress | None = None,
    dry_run: bool = False,
) -> RotationResult:
    """Re-encrypt under the current key every value of ``reencrypt``'s columns that is not.

    A value that does not decrypt is left as it is and reported in ``failures``; the run goes
    on. With ``dry_run`` every such value is decrypted (so failures are found) but nothing is
    written.
    """
    if batch_size < 1:
        raise ValueError("batch_size must be positive")
    fields = list(reencrypt)
    current = current_key_id()
    manager = model._default_manager
    total = manager.count()
    result = RotationResult(dry_run=dry_run)
    last_pk = 0
    while True:
        rows = list(
            manager.filter(pk__gt=last_pk).order_by("pk").values_list("pk", *fields)[:batch_size]
        )
        if not rows:
            break
        last_pk = rows[-1][0]
        result.rows_examined += len(rows)
        stale = [row[0] for row in rows if any(_is_stale(value, current) for value in row[1:])]
        if stale:
            _rotate_rows(model, stale, reencrypt, current=current, result=result, dry_run=dry_run)
        if progress is not None:
            progress(result.rows_examined, max(total, result.rows_examined))
    return result


def _is_stale(stored: str | None, current: str) -> bool:
    return bool(stored) and key_id_of(stored or "") != current


def _rotate_rows(
    model: type[models.Model],
    row_ids: Sequence[int],
    reencrypt: Mapping[str, Reencrypt],
    *,
    current: str,
    result: RotationResult,
    dry_run: bool,
) -> None:
    fields = list(reencrypt)
    label = model._meta.label_lower
    with transaction.atomic():
        rows = model._default_manager.filter(pk__in=row_ids).order_by("pk").only("pk", *fields)
        if not dry_run:
            rows = rows.select_for_update()
        changed: list[models.Model] = []
        for row in rows:  # read again under the lock: an edit may have rewritten the value
            is_changed = False
            for name in fields:
                stored = getattr(row, name)
                if not _is_stale(stored, current):
                    continue
                try:
                    rotated = reencrypt[name](row.pk, stored)
                except DecryptionError:
                    result.failures.append(RotationFailure(label, row.pk, name))
                    continue
                setattr(row, name, rotated)
                result.values_rotated += 1
                is_changed = True
            if is_changed:
                changed.append(row)
        result.rows_rotated += len(changed)
        if changed and not dry_run:
            model._default_manager.bulk_update(changed, fields)


def encrypted_fields_key_census(model: type[models.Model], fields: Sequence[str]) -> dict[str, int]:
    """How many non-empty values of ``fields`` are stored under each key id (counted in SQL)."""
    counts: Counter[str] = Counter()
    manager = model._default_manager
    for name in fields:
        separator = StrIndex(name, models.Value("$"))
        key_id = models.Case(
            models.When(GreaterThan(separator, 0), then=Left(name, separator - 1)),
            default=models.Value(MALFORMED),
            output_field=models.CharField(),
        )
        grouped = (
            manager.filter(**{f"{name}__gt": ""})
            .order_by()
            .annotate(key_id=key_id)
            .values("key_id")
            .annotate(count=models.Count("pk"))
        )
        for group in grouped:
            counts[group["key_id"] or MALFORMED] += group["count"]
    return dict(sorted(counts.items()))
