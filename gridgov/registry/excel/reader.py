"""Opening and checking an uploaded workbook before any row is looked at.

The checks, in order, each with one clear reason: the file is a readable xlsx (zip) archive;
the data sheet has no merged cells (found in the sheet XML's ``<mergeCells>``, since a merged
range leaves every cell but the first empty and so silently loses data); the header row
matches the template; the number of rows is within ``GRIDGOV_IMPORT_MAX_ROWS``.
Reading itself is python-calamine's, which is several times faster than openpyxl.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from django.conf import settings
from django.utils.translation import gettext_lazy as _
from python_calamine import CalamineWorkbook

from gridgov.registry.excel.columns import REPORT_HEADERS, Column

DEFAULT_MAX_ROWS = 200_000
_MERGE_REF = re.compile(rb'<(?:\w+:)?mergeCell\s+ref="([A-Z]+\d+(?::[A-Z]+\d+)?)"')
_DIMENSION = re.compile(rb'<(?:\w+:)?dimension\s+ref="[A-Z]+\d+:[A-Z]+(\d+)"')
_SHOWN_MERGES = 5


class SheetError(Exception):
    """The workbook cannot be imported at all; ``message`` says why (translated)."""

    def __init__(self, message: Any) -> None:
        super().__init__(str(message))
        self.message = str(message)


@dataclass
class Sheet:
    """The data rows of the first sheet: ``headers`` as written, ``keys`` the template column
    each header stands for (None for the error report's own columns), and ``rows`` as
    (Excel row number, values) with completely empty rows left out."""

    headers: list[str]
    keys: list[str | None]
    rows: list[tuple[int, list[Any]]] = field(default_factory=list)

    def record(self, values: list[Any]) -> dict[str, Any]:
        return {key: value for key, value in zip(self.keys, values, strict=False) if key}


def max_rows() -> int:
    return int(getattr(settings, "GRIDGOV_IMPORT_MAX_ROWS", DEFAULT_MAX_ROWS))


def _not_xlsx() -> SheetError:
    return SheetError(
        _(
            "The file is not an Excel workbook (.xlsx) or it is damaged and cannot be opened. "
            "Save it again as an Excel workbook (.xlsx) and upload it again."
        )
    )


_SHEET_ELEMENT = re.compile(rb"<(?:\w+:)?sheet\s[^>]*>")
_RELATION_ELEMENT = re.compile(rb"<(?:\w+:)?Relationship\s[^>]*>")


def _attribute(element: bytes, name: bytes) -> str:
    # ``r:id`` may carry any namespace prefix; the attribute is matched by its local name.
    match = re.search(rb"(?:\s|:)" + name + rb'="([^"]*)"', element)
    return match.group(1).decode("utf-8", "replace") if match else ""


def _first_sheet_path(archive: zipfile.ZipFile) -> str:
    """The archive path of the workbook's first sheet (the one calamine reads as index 0).

    Read with regular expressions rather than an XML parser: the file is untrusted, and
    these two small parts only need one element each (no entity expansion can happen).
    """
    first = _SHEET_ELEMENT.search(archive.read("xl/workbook.xml"))
    if first is None:
        raise _not_xlsx()
    relation_id = _attribute(first.group(0), b"id")
    for relation in _RELATION_ELEMENT.finditer(archive.read("xl/_rels/workbook.xml.rels")):
        if _attribute(relation.group(0), b"Id") == relation_id:
            target = _attribute(relation.group(0), b"Target")
            if target.startswith("/"):
                return target.lstrip("/")
            return posixpath.normpath(posixpath.join("xl", target))
    raise _not_xlsx()


def _check_archive(data: bytes, limit: int) -> None:
    """Zip integrity, merged cells and (when the sheet states it) the row count."""
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            sheet_xml = archive.read(_first_sheet_path(archive))
    except (zipfile.BadZipFile, zlib.error, KeyError, OSError) as error:
        raise _not_xlsx() from error
    if b"mergeCell" in sheet_xml:
        ranges = [match.decode() for match in _MERGE_REF.findall(sheet_xml)]
        if ranges:
            shown = "、".join(ranges[:_SHOWN_MERGES]) + ("…" if len(ranges) > _SHOWN_MERGES else "")
            raise SheetError(
                _(
                    "The sheet has merged cells (%(ranges)s). Unmerge them, fill in every "
                    "cell and upload the file again."
                )
                % {"ranges": shown}
            )
    dimension = _DIMENSION.search(sheet_xml[:4096])
    if dimension and int(dimension.group(1)) - 1 > limit * 2:
        # Far above the limit: refuse before parsing every row.
        raise _too_many(int(dimension.group(1)) - 1, limit)


def _too_many(count: int, limit: int) -> SheetError:
    return SheetError(
        _(
            "The sheet has %(count)d rows; at most %(limit)d can be imported at once. "
            "Split it into several files."
        )
        % {"count": count, "limit": limit}
    )


def _normalize_header(value: Any) -> str:
    return str(value if value is not None else "").strip().lstrip("*").rstrip("*").strip()


def _match_headers(raw_headers: list[Any], columns: tuple[Column, ...]) -> Sheet:
    known = {column.header: column.key for column in columns}
    headers = [_normalize_header(value) for value in raw_headers]
    while headers and not headers[-1]:
        headers.pop()
    keys: list[str | None] = []
    unknown: list[str] = []
    seen: set[str] = set()
    duplicated: list[str] = []
    for position, header in enumerate(headers, start=1):
        if header in known:
            if header in seen:
                duplicated.append(header)
            seen.add(header)
            keys.append(known[header])
        elif header in REPORT_HEADERS:
            keys.append(None)
        else:
            unknown.append(header or str(_("(empty header in column %(n)d)") % {"n": position}))
            keys.append(None)
    missing = [column.header for column in columns if column.required and column.header not in seen]
    if missing or unknown or duplicated:
        problems = []
        if missing:
            problems.append(str(_("missing: %(names)s") % {"names": "、".join(missing)}))
        if unknown:
            problems.append(
                str(_("not in the template: %(names)s") % {"names": "、".join(unknown)})
            )
        if duplicated:
            problems.append(str(_("given twice: %(names)s") % {"names": "、".join(duplicated)}))
        raise SheetError(
            _(
                "The first row does not have the template's columns (%(problems)s). Download "
                "the template and copy the data into it."
            )
            % {"problems": "; ".join(problems)}
        )
    return Sheet(headers=headers, keys=keys)


def _is_empty(values: list[Any]) -> bool:
    return all(value == "" or value is None for value in values)


def read_sheet(data: bytes, *, columns: tuple[Column, ...], limit: int | None = None) -> Sheet:
    """Check the workbook and return the first sheet's rows; ``SheetError`` otherwise."""
    limit = max_rows() if limit is None else limit
    _check_archive(data, limit)
    try:
        workbook = CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = workbook.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as error:  # calamine's zip and XML errors are not all CalamineError
        raise _not_xlsx() from error
    if not rows or _is_empty(rows[0]):
        raise SheetError(_("The first sheet is empty; the first row must hold the column names."))
    sheet = _match_headers(list(rows[0]), columns)
    width = len(sheet.headers)
    sheet.rows = [
        (number, list(values[:width]))
        for number, values in enumerate(rows[1:], start=2)
        if not _is_empty(values[:width])
    ]
    if len(sheet.rows) > limit:
        raise _too_many(len(sheet.rows), limit)
    if not sheet.rows:
        raise SheetError(_("The sheet has column names but no rows to import."))
    return sheet
