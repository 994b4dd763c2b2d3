"""The certified result as a PDF (A4), in Chinese with reportlab's built-in CID font
STSong-Light (no font file to ship): what was decided, the rule and its source, the roll, the
four tests as exact fractions and percentages, the options, the outcome, the seal, and the
masked ballot list. Every page carries the exporter's stamp and the page number. Audited."""

from __future__ import annotations

import io
from typing import Any
from xml.sax.saxutils import escape

from django.utils.translation import gettext as _
from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.cidfonts import UnicodeCIDFont
from reportlab.platypus import Paragraph, SimpleDocTemplate, Spacer, Table, TableStyle

from gridgov.participation.exports import (
    ExportFile,
    ResultDocument,
    export_audited,
    filenames,
    result_document,
)
from gridgov.participation.exports import sections as s

PDF = "application/pdf"
FONT = "STSong-Light"
MARGIN = 16 * mm
_GRID = colors.HexColor("#c8d0dc")
_HEAD_BG = colors.HexColor("#eef2f8")


def _font() -> str:
    if FONT not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(UnicodeCIDFont(FONT))
    return FONT


def _styles() -> dict[str, ParagraphStyle]:
    font = _font()
    body = ParagraphStyle("body", fontName=font, fontSize=9, leading=13, wordWrap="CJK")
    return {
        "title": ParagraphStyle(
            "title", parent=body, fontSize=16, leading=22, alignment=TA_CENTER, spaceAfter=4
        ),
        "subtitle": ParagraphStyle(
            "subtitle", parent=body, fontSize=11, leading=16, alignment=TA_CENTER, spaceAfter=8
        ),
        "heading": ParagraphStyle(
            "heading", parent=body, fontSize=11, leading=16, spaceBefore=8, spaceAfter=4
        ),
        "body": body,
        "small": ParagraphStyle("small", parent=body, fontSize=7.5, leading=10),
        "seal": ParagraphStyle("seal", parent=body, fontName="Courier", fontSize=8, leading=11),
    }


def _text(value: Any) -> str:
    return escape(str(value))


def _table(rows: list[list[Any]], widths: list[float], styles: dict, *, head: bool) -> Table:
    cells = [[Paragraph(_text(value), styles["body"]) for value in row] for row in rows]
    table = Table(cells, colWidths=widths, repeatRows=1 if head else 0, hAlign="LEFT")
    commands: list[tuple[Any, ...]] = [
        ("GRID", (0, 0), (-1, -1), 0.4, _GRID),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2),
    ]
    if head:
        commands.append(("BACKGROUND", (0, 0), (-1, 0), _HEAD_BG))
    else:
        commands.append(("BACKGROUND", (0, 0), (0, -1), _HEAD_BG))
    table.setStyle(TableStyle(commands))
    return table


def _story(document: ResultDocument, width: float) -> list[Any]:
    result = document.result
    styles = _styles()
    story: list[Any] = [
        Paragraph(_text(s.certificate_title()), styles["title"]),
        Paragraph(_text(result["vote"]["title"]), styles["subtitle"]),
    ]
    pairs = [[label, value] for label, value in s.summary_rows(result)]
    story.append(_table(pairs, [width * 0.3, width * 0.7], styles, head=False))
    story.append(Paragraph(_text(_("Quorum and approval")), styles["heading"]))
    tests = [s.test_columns(), *s.test_rows(result)]
    test_widths = [0.28, 0.14, 0.14, 0.14, 0.1, 0.12, 0.08]
    story.append(_table(tests, [width * part for part in test_widths], styles, head=True))
    story.append(Paragraph(_text(_("Ballots by option")), styles["heading"]))
    options = [s.option_columns(result), *s.option_rows(result)]
    option_widths = [0.34, 0.12, 0.16, 0.16, 0.22]
    story.append(_table(options, [width * part for part in option_widths], styles, head=True))
    story.append(Paragraph(_text(_("Outcome")), styles["heading"]))
    outcome = [[label, value] for label, value in s.outcome_rows(result)]
    story.append(_table(outcome, [width * 0.3, width * 0.7], styles, head=False))
    story.append(Spacer(1, 4 * mm))
    story.append(Paragraph(_text(s.masking_notice()), styles["small"]))
    story.append(Paragraph(_text(_("Ballots (names masked)")), styles["heading"]))
    if document.ballots:
        ballots = [s.ballot_columns(), *s.ballot_rows(document)]
        ballot_widths = [0.06, 0.16, 0.22, 0.16, 0.1, 0.2, 0.1]
        story.append(_table(ballots, [width * part for part in ballot_widths], styles, head=True))
    else:
        story.append(Paragraph(_text(_("No ballot was cast.")), styles["body"]))
    return story


def result_pdf(document: ResultDocument) -> bytes:
    buffer = io.BytesIO()
    pdf = SimpleDocTemplate(
        buffer,
        pagesize=A4,
        leftMargin=MARGIN,
        rightMargin=MARGIN,
        topMargin=MARGIN,
        bottomMargin=MARGIN + 4 * mm,
        title=s.certificate_title(),
        subject=document.result["seal_hash"],
        author="GridGov",
        creator="GridGov",
        keywords=f"vote:{document.vote.pk}",
    )
    font = _font()
    stamp = document.stamp

    def footer(canvas: Any, page: Any) -> None:
        canvas.saveState()
        canvas.setFont(font, 7.5)
        canvas.setFillColor(colors.HexColor("#5b6675"))
        canvas.drawString(MARGIN, MARGIN * 0.6, stamp)
        canvas.drawRightString(
            A4[0] - MARGIN, MARGIN * 0.6, _("Page %(page)d") % {"page": canvas.getPageNumber()}
        )
        canvas.restoreState()

    pdf.build(_story(document, pdf.width), onFirstPage=footer, onLaterPages=footer)
    return buffer.getvalue()


def vote_result_pdf(*, actor: Any, vote_id: int) -> ExportFile:
    """The certified result of a closed vote as a PDF, for whoever may read it; audited."""
    document = result_document(actor=actor, vote_id=vote_id)
    content = result_pdf(document)
    export_audited(actor=actor, document=document, file_format="pdf", content=content)
    readable, ascii_name = filenames(document, "pdf")
    return ExportFile(
        content=content,
        filename=readable,
        ascii_filename=ascii_name,
        content_type=PDF,
        row_count=len(document.ballots),
    )
