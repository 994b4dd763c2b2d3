"""What every import kind shares: where the importer may write, which cells exist, and the
collection of row problems (Excel row number, column header, reason)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import scope_for
from gridgov.grids.models import Cell
from gridgov.registry.excel.columns import header_of
from gridgov.registry.excel.report import RowProblem
from gridgov.registry.excel.values import CellValueError, text


class DryRunRollbackError(Exception):
    """Raised inside a transaction to undo a trial run of the real services."""


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0


class ImportScope:
    """Where an import may write: the actor holds both ``registry.import`` and the kind's own
    permission there, and (when the upload names an area) it lies under that area."""

    def __init__(self, actor: Any, permission: str, job_cell: Cell | None) -> None:
        self.import_scope = scope_for(actor, Perm.REGISTRY_IMPORT)
        self.kind_scope = scope_for(actor, permission)
        self.job_cell_code = job_cell.code if job_cell is not None else ""

    def covers(self, cell_code: str) -> bool:
        return (
            self.import_scope.covers(cell_code)
            and self.kind_scope.covers(cell_code)
            and cell_code.startswith(self.job_cell_code)
        )


class CellDirectory:
    """Active cells by code and by (unique) name, loaded once per import."""

    def __init__(self) -> None:
        self.by_code: dict[str, int] = {}
        names: dict[str, list[str]] = {}
        for pk, code, name in Cell.objects.filter(is_active=True).values_list("pk", "code", "name"):
            self.by_code[code] = pk
            names.setdefault(name, []).append(code)
        self.by_name = {name: codes[0] for name, codes in names.items() if len(codes) == 1}

    def resolve(self, raw: str) -> str | None:
        if raw in self.by_code:
            return raw
        return self.by_name.get(raw)


@dataclass
class Problems:
    """The problems of one import, in the order found; ``rows`` is the set of bad rows."""

    kind: str
    items: list[RowProblem] = field(default_factory=list)
    rows: set[int] = field(default_factory=set)

    def add(self, row: int, key: str, reason: Any) -> None:
        column = header_of(self.kind, key) if key else ""
        self.items.append(RowProblem(row, column, str(reason)))
        self.rows.add(row)

    def add_error(self, row: int, key: str, error: Exception) -> None:
        """A ``ValidationError``'s or ``CellValueError``'s reasons, under the column."""
        if isinstance(error, ValidationError):
            for message in error.messages:
                self.add(row, key, message)
        elif isinstance(error, CellValueError):
            self.add(row, key, error.args[0])
        else:
            self.add(row, key, str(error))


def required_text(
    record: dict[str, Any], key: str, *, row: int, problems: Problems, max_length: int
) -> str:
    value = text(record.get(key))
    if not value:
        problems.add(row, key, _("Required; this cell is empty."))
    elif len(value) > max_length:
        problems.add(row, key, _("At most %(count)d characters.") % {"count": max_length})
    return value


def optional_text(
    record: dict[str, Any], key: str, *, row: int, problems: Problems, max_length: int
) -> str:
    value = text(record.get(key))
    if len(value) > max_length:
        problems.add(row, key, _("At most %(count)d characters.") % {"count": max_length})
    return value


def out_of_scope_reason() -> Any:
    return _("This area is outside what you may import into.")


def place_key(estate: str, building: str, unit: str, room: str) -> tuple[str, str, str, str]:
    """How an address in a sheet finds a dwelling: labels normalised like the place services."""
    from gridgov.registry.services.places import building_label_normalize, unit_label_normalize

    room = room.strip()
    if room.endswith("室"):
        room = room[:-1]
    return (
        estate.strip(),
        building_label_normalize(building),
        unit_label_normalize(unit) if unit.strip() else "",
        room,
    )
