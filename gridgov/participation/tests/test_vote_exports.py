"""The certified result exported: the Excel workbook cell by cell, the PDF by its bytes (read
with a few lines of PDF syntax, not with the library that wrote it), who may export, and the
audit row every export leaves."""

from __future__ import annotations

import base64
import io
import re
import zlib
from collections.abc import Iterator

import pytest
from django.utils import translation
from openpyxl import load_workbook

from gridgov.core.models import AuditEntry
from gridgov.participation.exports.vote_excel import vote_result_xlsx
from gridgov.participation.exports.vote_pdf import vote_result_pdf
from gridgov.participation.models import Vote
from gridgov.participation.services.votes import (
    VoteNotFoundError,
    VoteStateError,
    ballot_cast,
    vote_close,
)
from gridgov.participation.tests.factories import VotePagesScene, vote_pages_scene
from gridgov.registry.services.protection import mask_name

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _english() -> Iterator[None]:
    with translation.override("en"):
        yield


@pytest.fixture
def closed(town) -> VotePagesScene:
    """Three owners of four voted yes (300 of 400 m²); the vote is closed and certified."""
    scene = vote_pages_scene(town)
    for account in scene.accounts:
        ballot_cast(actor=account, vote_id=scene.vote.pk, choice="yes")
    vote_close(actor=scene.world.staff, vote_id=scene.vote.pk)
    scene.vote = Vote.objects.get(pk=scene.vote.pk)
    return scene


def _rows(sheet) -> list[tuple]:
    return [tuple(row) for row in sheet.iter_rows(values_only=True)]


def test_the_workbook_holds_the_certificate_cell_by_cell(closed: VotePagesScene) -> None:
    export = vote_result_xlsx(actor=closed.world.staff, vote_id=closed.vote.pk)

    book = load_workbook(io.BytesIO(export.content))
    assert book.sheetnames == ["Result", "Ballots"]
    rows = _rows(book["Result"])
    assert rows[0][0].startswith("Exported by ")
    assert rows[1][0] == "Certified result of an owners' vote"
    pairs = {row[0]: row[1] for row in rows if row[0] and row[2] is None}
    assert pairs["Vote"] == "更换小区变压器（动用专项维修资金）"
    assert pairs["Scope"] == "浦锦苑"
    assert pairs["Matter"] == (
        "Civil Code art. 278 item 5: Use the maintenance fund of the buildings and facilities"
    )
    assert pairs["Rule set"] == "Civil Code (2021)"
    assert pairs["Source"].startswith("民法典 第278条")
    assert pairs["Heads counted as"] == "owners"
    assert (pairs["Owners on the roll"], pairs["Exclusive units on the roll"]) == (4, 4)
    assert pairs["Total exclusive area (m²)"] == 400
    assert pairs["Total exclusive area, exact (m²)"] == "400"
    assert (pairs["Ballots"], pairs["Participating heads"]) == (3, 3)
    assert pairs["Participating area (m²)"] == 300
    assert pairs["Outcome"] == "Passed"
    assert pairs["Adopted option"] == "Yes"
    assert pairs["Ballots at the close"] == 3
    assert pairs["Seal (SHA-256 over the ballots)"] == closed.vote.seal_hash
    start = rows.index(
        ("Test", "Numerator", "Denominator", "Exact ratio", "Percent", "Threshold", "Met")
    )
    assert rows[start + 1 : start + 5] == [
        (
            "Participating area / total exclusive area",
            "300",
            "400",
            "3/4",
            "75.00%",
            "≥ 2/3",
            "Yes",
        ),
        ("Participating owners / all owners", "3", "4", "3/4", "75.00%", "≥ 2/3", "Yes"),
        ("Area in favour / participating area", "300", "300", "1", "100.00%", "> 1/2", "Yes"),
        ("Owners in favour / participating owners", "3", "3", "1", "100.00%", "> 1/2", "Yes"),
    ]
    options = rows.index(
        ("Option", "Owners", "Heads (owners)", "Area (m²)", "Area, exact (m²)", None, None)
    )
    assert rows[options + 1 : options + 4] == [
        ("Yes", 3, 3, 300, "300", None, None),
        ("No", 0, 0, 0, "0", None, None),
        ("Abstain", 0, 0, 0, "0", None, None),
    ]


def test_the_workbook_lists_the_ballots_masked(closed: VotePagesScene) -> None:
    export = vote_result_xlsx(actor=closed.accounts[0], vote_id=closed.vote.pk)

    rows = _rows(load_workbook(io.BytesIO(export.content))["Ballots"])
    header = rows.index(
        ("No.", "Owner (masked)", "Rooms", "Choice", "Channel", "Cast at", "Receipt (last 4)")
    )
    ballots = rows[header + 1 :]
    names = {mask_name(owner.name) for owner in closed.owners}
    assert [row[0] for row in ballots] == [1, 2, 3]
    assert {row[1] for row in ballots} == names
    assert {(row[3], row[4]) for row in ballots} == {("Yes", "Online")}
    assert all(owner.name not in str(rows) for owner in closed.owners)
    assert export.row_count == 3
    assert export.ascii_filename.startswith(f"vote-{closed.vote.pk}-result-")


def _wide_fonts(content: bytes) -> set[bytes]:
    """The resource names (``F2``) of the fonts whose base font is the CID font, whose strings
    are two bytes per character (UCS-2)."""
    wide = set()
    for name, number in re.findall(rb"/(F\d+) (\d+) 0 R", content):
        base = re.search(rb"\n" + number + rb" 0 obj\n<<\n/BaseFont /([\w-]+)", content)
        if base and base.group(1) == b"STSong-Light":
            wide.add(name)
    return wide


def _unescape(literal: bytes) -> bytes:
    def one(match: re.Match[bytes]) -> bytes:
        escaped = match.group(1)
        return bytes([int(escaped, 8)]) if escaped[:1].isdigit() else escaped

    return re.sub(rb"\\([0-7]{1,3}|.)", one, literal, flags=re.S)


def _pdf_text(content: bytes) -> str:
    """The text drawn in the PDF: each page stream (ASCII85, then Flate) inflated, and the
    strings shown with ``Tj`` decoded by their font (UCS-2 for the CID font, else Latin-1)."""
    wide = _wide_fonts(content)
    shown: list[str] = []
    for match in re.finditer(
        rb"/Filter \[ /ASCII85Decode /FlateDecode \] /Length (\d+)\s*>>\s*stream\r?\n", content
    ):
        raw = content[match.end() : match.end() + int(match.group(1))].strip()
        stream = zlib.decompress(base64.a85decode(raw.removesuffix(b"~>")))
        font = b""
        for token in re.finditer(rb"/(F\d+) [\d.]+ Tf|\(((?:\\.|[^\\)])*)\) Tj", stream, re.S):
            if token.group(1):
                font = token.group(1)
                continue
            data = _unescape(token.group(2))
            shown.append(data.decode("utf-16-be" if font in wide else "latin-1"))
    return "".join(shown)


def test_the_pdf_is_a_pdf_in_chinese_with_the_seal(closed: VotePagesScene) -> None:
    with translation.override("zh-hans"):
        export = vote_result_pdf(actor=closed.world.staff, vote_id=closed.vote.pk)

    content = export.content
    assert content.startswith(b"%PDF-1.4")
    assert content.rstrip().endswith(b"%%EOF")
    assert b"/BaseFont /STSong-Light" in content
    assert f"/Subject ({closed.vote.seal_hash})".encode() in content
    assert 4_000 < len(content) < 200_000
    assert export.content_type == "application/pdf"


def test_the_pdf_text_holds_the_figures_and_no_full_name(closed: VotePagesScene) -> None:
    export = vote_result_pdf(actor=closed.world.staff, vote_id=closed.vote.pk)

    text = _pdf_text(export.content)
    assert "Certified result of an owners' vote" in text
    assert "更换小区变压器" in text
    assert "3/4" in text
    assert "75.00%" in text
    assert closed.vote.seal_hash in text
    assert all(owner.name not in text for owner in closed.owners)


def test_every_export_leaves_an_audit_row(closed: VotePagesScene) -> None:
    before = AuditEntry.objects.count()

    vote_result_pdf(actor=closed.world.viewer, vote_id=closed.vote.pk)
    vote_result_xlsx(actor=closed.accounts[1], vote_id=closed.vote.pk)

    rows = list(
        AuditEntry.objects.filter(action="participation.vote_result_export")
        .order_by("id")
        .values_list("actor_label", "object_id", "changes")
    )
    assert AuditEntry.objects.count() == before + 2
    assert [
        (label, object_id, changes["format"], changes["ballots"])
        for label, object_id, changes in rows
    ] == [
        ("vote-viewer", str(closed.vote.pk), "pdf", 3),
        ("owner-2", str(closed.vote.pk), "xlsx", 3),
    ]


def test_an_open_vote_has_nothing_to_export_and_nothing_is_audited(town) -> None:
    scene = vote_pages_scene(town)

    with pytest.raises(VoteStateError, match="has not closed yet"):
        vote_result_pdf(actor=scene.world.staff, vote_id=scene.vote.pk)

    assert not AuditEntry.objects.filter(action="participation.vote_result_export").exists()


def test_nobody_outside_the_vote_may_export_it(closed: VotePagesScene) -> None:
    with pytest.raises(VoteNotFoundError):
        vote_result_xlsx(actor=closed.world.outsider, vote_id=closed.vote.pk)
    with pytest.raises(VoteNotFoundError):
        vote_result_pdf(actor=closed.stranger, vote_id=closed.vote.pk)

    assert not AuditEntry.objects.filter(action="participation.vote_result_export").exists()
