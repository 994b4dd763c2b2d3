"""Staff recording what happened on paper (线下表决): a paper ballot with a photo of the paper, a
proxy's written authorisation, and which co-owner votes for a jointly owned unit. The roll is
shown masked; a search by room narrows the pickers on large estates."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.forms import Form
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from gridgov.accounts.roles import Perm
from gridgov.participation.models import Vote
from gridgov.participation.selectors.votes import (
    ProxyRow,
    RollRow,
    vote_proxy_list_for_actor,
    vote_roll_for_actor,
)
from gridgov.participation.services.votes import (
    paper_ballot_record,
    proxy_record,
    voter_designate,
)
from gridgov.participation.views.votes.common import (
    ballot_choices,
    can_manage,
    parse_choice,
    refusal_text,
    require,
    visible_vote,
)
from gridgov.participation.views.votes.forms import DesignateForm, PaperBallotForm, ProxyForm

# How many roll entries the pickers list; a search by room finds the others.
PICKER_LIMIT = 300
QUERY_MAX = 50


def _managed_vote(request: HttpRequest, pk: int) -> Vote:
    require(request, Perm.VOTE_MANAGE)
    vote = visible_vote(request, pk)
    if not can_manage(request, vote):
        raise PermissionDenied
    return vote


def _matches(row: RollRow, query: str) -> bool:
    return not query or query in row.rooms or query in row.masked_names


def _voter_label(row: RollRow) -> str:
    label = f"{row.rooms or '—'} · {row.masked_names} · {row.area_m2} m²"
    if row.has_ballot:
        label += " · " + _("has voted")
    return label


def _proxies(request: HttpRequest, vote: Vote) -> list[ProxyRow]:
    return vote_proxy_list_for_actor(actor=request.user, vote_id=vote.pk)


def _proxy_choices(proxies: list[ProxyRow]) -> list[tuple[int, str]]:
    return [
        (row.proxy_id, f"{row.rooms} · {row.proxy_masked} · {row.reference}") for row in proxies
    ]


def _forms(
    request: HttpRequest,
    vote: Vote,
    roll: list[RollRow],
    proxies: list[ProxyRow],
    *,
    bound: str = "",
) -> dict[str, Form]:
    query = request.GET.get("q", "").strip()[:QUERY_MAX]
    shown = [row for row in roll if _matches(row, query)][:PICKER_LIMIT]
    voters = [(row.voter_id, _voter_label(row)) for row in shown]
    people = [
        (person_id, f"{row.rooms} · {row.masked_names}")
        for row in shown
        if not row.is_organisation and len(row.member_ids) == 1
        for person_id in row.member_ids
    ]
    pairs = []
    for row in shown:
        if len(row.member_ids) < 2:
            continue
        names = row.masked_names.split("、")
        for position, person_id in enumerate(row.member_ids):
            name = names[position] if position < len(names) else str(person_id)
            pairs.append(
                (f"{row.voter_id}:{person_id}", f"{row.rooms} · {row.masked_names} → {name}")
            )
    post = request.POST if request.method == "POST" else None
    files = request.FILES if request.method == "POST" else None
    return {
        "paper_form": PaperBallotForm(
            post if bound == "paper" else None,
            files if bound == "paper" else None,
            voters=voters,
            choices=ballot_choices(vote),
            proxies=_proxy_choices(proxies),
            prefix="paper",
        ),
        "proxy_form": ProxyForm(
            post if bound == "proxy" else None,
            files if bound == "proxy" else None,
            voters=voters,
            people=people,
            prefix="proxy",
        ),
        "designate_form": DesignateForm(
            post if bound == "designate" else None, pairs=pairs, prefix="designate"
        ),
    }


def _render(
    request: HttpRequest,
    vote: Vote,
    roll: list[RollRow],
    proxies: list[ProxyRow],
    forms: dict[str, Form],
    status: int,
) -> HttpResponse:
    query = request.GET.get("q", "").strip()[:QUERY_MAX]
    shown = [row for row in roll if _matches(row, query)]
    context = {
        "vote": vote,
        "roll": shown[:PICKER_LIMIT],
        "roll_total": len(roll),
        "roll_shown": len(shown),
        "is_truncated": len(shown) > PICKER_LIMIT,
        "voted": sum(1 for row in roll if row.has_ballot),
        "query": query,
        "proxies": proxies,
        **forms,
    }
    return render(request, "participation/votes/record.html", context, status=status)


@login_required
@never_cache
@require_GET
def vote_record(request: HttpRequest, pk: int) -> HttpResponse:
    vote = _managed_vote(request, pk)
    roll = vote_roll_for_actor(actor=request.user, vote_id=vote.pk)
    proxies = _proxies(request, vote)
    return _render(request, vote, roll, proxies, _forms(request, vote, roll, proxies), 200)


def _submit(request: HttpRequest, pk: int, which: str, call: Any, done: str) -> HttpResponse:
    """Validate the one form posted, call its service, and come back to the page; a refusal
    shows the page again with the form's input and the reason."""
    vote = _managed_vote(request, pk)
    roll = vote_roll_for_actor(actor=request.user, vote_id=vote.pk)
    proxies = _proxies(request, vote)
    forms = _forms(request, vote, roll, proxies, bound=which)
    form = forms[f"{which}_form"]
    if form.is_valid():
        try:
            call(vote, form)
        except ValidationError as refusal:
            form.add_error(None, refusal_text(refusal))
        else:
            messages.success(request, done)
            return redirect("participation:vote_record", pk=vote.pk)
    return _render(request, vote, roll, proxies, forms, 400)


@login_required
@require_POST
def vote_paper_ballot(request: HttpRequest, pk: int) -> HttpResponse:
    def call(vote: Vote, form: PaperBallotForm) -> None:
        choice, option_id = parse_choice(form.cleaned_data["choice"])
        paper_ballot_record(
            actor=request.user,
            vote_id=vote.pk,
            voter_id=form.cleaned_data["voter"],
            choice=choice,
            option_id=option_id,
            proxy_id=form.cleaned_data["proxy"],
            photo=form.cleaned_data["photo"],
        )

    return _submit(request, pk, "paper", call, _("Paper ballot recorded."))


@login_required
@require_POST
def vote_proxy(request: HttpRequest, pk: int) -> HttpResponse:
    def call(vote: Vote, form: ProxyForm) -> None:
        data = form.cleaned_data
        proxy_record(
            actor=request.user,
            vote_id=vote.pk,
            voter_id=data["voter"],
            reference=data["reference"],
            document=data["document"],
            proxy_person_id=data["proxy_person"],
            proxy_name=data["proxy_name"],
        )

    return _submit(request, pk, "proxy", call, _("Proxy authorisation recorded."))


@login_required
@require_POST
def vote_designate(request: HttpRequest, pk: int) -> HttpResponse:
    def call(vote: Vote, form: DesignateForm) -> None:
        voter_id, person_id = form.ids()
        voter_designate(actor=request.user, vote_id=vote.pk, voter_id=voter_id, person_id=person_id)

    return _submit(request, pk, "designate", call, _("The co-owners' choice is recorded."))
