"""What every owner of the scope and the staff of its area may read (公开透明): the list of
ballots with names masked, the certified result with its arithmetic and seal, its PDF and Excel
exports (audited), and the receipt check."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.participation.exports.vote_excel import vote_result_xlsx
from gridgov.participation.exports.vote_pdf import vote_result_pdf
from gridgov.participation.selectors.votes import (
    vote_ballot_list_for_actor,
    vote_result_for_actor,
    vote_seal_verify,
)
from gridgov.participation.services.votes import ballot_verify_receipt
from gridgov.participation.views.votes.common import (
    attachment,
    is_staff_viewer,
    refusal_text,
    visible_vote,
)
from gridgov.participation.views.votes.forms import ReceiptForm


def _back_url(request: HttpRequest, vote_pk: int, *, is_staff: bool) -> str:
    name = "participation:vote_detail" if is_staff else "participation:my_vote"
    return reverse(name, args=[vote_pk])


@login_required
@never_cache
@require_GET
def vote_ballots(request: HttpRequest, pk: int) -> HttpResponse:
    """Every ballot of the vote, names masked; choices hidden while a sealed vote is open."""
    vote = visible_vote(request, pk)
    is_staff = is_staff_viewer(request, vote)
    rows = vote_ballot_list_for_actor(actor=request.user, vote_id=vote.pk)
    context = {
        "vote": vote,
        "rows": rows,
        "is_staff": is_staff,
        "back_url": _back_url(request, vote.pk, is_staff=is_staff),
    }
    return render(request, "participation/votes/ballots.html", context)


@login_required
@never_cache
@require_GET
def vote_result(request: HttpRequest, pk: int) -> HttpResponse:
    """The certified result: the rule and its source, the roll, participation and approval by
    area and by head as exact fractions, the outcome, the seal (checked again on each view)."""
    vote = visible_vote(request, pk)
    is_staff = is_staff_viewer(request, vote)
    result = vote_result_for_actor(actor=request.user, vote_id=vote.pk)
    context = {
        "vote": vote,
        "result": result,
        "seal": vote_seal_verify(actor=request.user, vote_id=vote.pk) if result else None,
        "is_staff": is_staff,
        "back_url": _back_url(request, vote.pk, is_staff=is_staff),
    }
    return render(
        request, "participation/votes/result.html", context, status=200 if result else 404
    )


def _export(request: HttpRequest, pk: int, export: Any) -> HttpResponse:
    try:
        return attachment(export(actor=request.user, vote_id=pk))
    except ValidationError as refusal:
        raise Http404(refusal_text(refusal)) from None


@login_required
@require_GET
def vote_result_pdf_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The certificate as PDF (audited)."""
    return _export(request, pk, vote_result_pdf)


@login_required
@require_GET
def vote_result_xlsx_download(request: HttpRequest, pk: int) -> HttpResponse:
    """The certificate as an Excel workbook (audited)."""
    return _export(request, pk, vote_result_xlsx)


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def vote_receipt_check(request: HttpRequest, pk: int) -> HttpResponse:
    """A voter checks that the ballot with their receipt code is in the count."""
    vote = visible_vote(request, pk)
    form = ReceiptForm(request.POST if request.method == "POST" else None)
    check = None
    if request.method == "POST" and form.is_valid():
        try:
            check = ballot_verify_receipt(
                actor=request.user, vote_id=vote.pk, receipt=form.cleaned_data["receipt"]
            )
        except ValidationError as refusal:
            form.add_error("receipt", refusal_text(refusal))
    is_staff = is_staff_viewer(request, vote)
    context = {
        "vote": vote,
        "form": form,
        "check": check,
        "back_url": _back_url(request, vote.pk, is_staff=is_staff),
    }
    status = 400 if request.method == "POST" and form.errors else 200
    return render(request, "participation/votes/receipt.html", context, status=status)
