"""The owner's pages (业主在线表决), phone first: the votes one takes part in, and one vote with
its matter, its rule, the options, a ballot form with a confirmation step, the receipt code
after casting, and links to the open ballot list and the certified result."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from gridgov.accounts.roles import Perm
from gridgov.participation import rules
from gridgov.participation.models import VoteStatus
from gridgov.participation.selectors.votes import (
    OwnerVoteState,
    vote_list_for_owner,
    vote_owner_state_for_actor,
)
from gridgov.participation.services.votes import ballot_cast
from gridgov.participation.views.votes.common import (
    ballot_choices,
    parse_choice,
    refusal_text,
    require,
    status_badge,
)
from gridgov.participation.views.votes.forms import BallotForm, ReceiptForm
from gridgov.participation.views.votes.tally import board_html
from gridgov.registry.selectors.accounts import person_for_account

STEP_CONFIRM = "confirm"
STEP_CAST = "cast"
ID_MAX = 12


def _voter_id(request: HttpRequest) -> int | None:
    """The owner a recorded proxy votes for (``?voter=``), or ``None`` for one's own entry."""
    text = (request.POST.get("voter") or request.GET.get("voter") or "").strip()
    return int(text) if text.isdigit() and len(text) <= ID_MAX else None


@login_required
@never_cache
@require_GET
def my_votes(request: HttpRequest) -> HttpResponse:
    """The votes the owner is on the roll of (or a recorded proxy for), open ones first."""
    require(request, Perm.PARTICIPATION_TAKE_PART)
    rows = vote_list_for_owner(actor=request.user)
    context = {
        "rows": [{"row": row, "badge": status_badge(row.vote)} for row in rows],
        "is_linked": person_for_account(request.user) is not None,
    }
    return render(request, "participation/votes/my_votes.html", context)


def _receipt_groups(receipt: str) -> str:
    """``ABCD EFGH IJKL MNOP``: easier to read out and compare."""
    return " ".join(receipt[index : index + 4] for index in range(0, len(receipt), 4))


def _context(request: HttpRequest, state: OwnerVoteState, form: BallotForm) -> dict[str, Any]:
    vote = state.vote
    ballot = state.ballot
    choices = dict(ballot_choices(vote))
    return {
        "vote": vote,
        "state": state,
        "badge": status_badge(vote),
        "rule": rules.rule_for(
            rule_set=vote.rule_set, matter=vote.matter, is_elevator=vote.is_elevator
        ),
        "plans": list(vote.options.all()),
        "form": form,
        "receipt_form": ReceiptForm(),
        "receipt": ballot.receipt if ballot else "",
        "receipt_grouped": _receipt_groups(ballot.receipt) if ballot else "",
        "my_choice": (
            choices.get(f"option:{ballot.option_id}" if ballot.option_id else ballot.choice, "")
            if ballot
            else ""
        ),
        "is_closed": vote.status == VoteStatus.CLOSED,
        "board_html": board_html(vote, for_owner=True),
    }


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def my_vote(request: HttpRequest, pk: int) -> HttpResponse:
    """One vote for its owner. POST ``step=confirm`` shows the chosen option to confirm;
    POST ``step=cast`` casts it (one ballot per owner, never changed) and shows the receipt."""
    require(request, Perm.PARTICIPATION_TAKE_PART)
    voter_id = _voter_id(request)
    state = vote_owner_state_for_actor(actor=request.user, vote_id=pk, voter_id=voter_id)
    choices = ballot_choices(state.vote)
    step = request.POST.get("step", "") if request.method == "POST" else ""
    form = BallotForm(request.POST if step else None, choices=choices)
    if not step:
        return render(request, "participation/votes/my_vote.html", _context(request, state, form))
    if not form.is_valid():
        context = _context(request, state, form)
        return render(request, "participation/votes/my_vote.html", context, status=400)
    chosen = form.cleaned_data["choice"]
    if step != STEP_CAST:
        context = _context(request, state, form)
        context.update(confirming=True, chosen=chosen, chosen_label=dict(choices)[chosen])
        return render(request, "participation/votes/my_vote.html", context)
    choice, option_id = parse_choice(chosen)
    try:
        ballot_cast(
            actor=request.user,
            vote_id=state.vote.pk,
            choice=choice,
            option_id=option_id,
            # as asked: the service refuses an owner the actor is not the recorded proxy of
            voter_id=voter_id,
        )
    except ValidationError as refusal:
        form.add_error(None, refusal_text(refusal))
        state = vote_owner_state_for_actor(actor=request.user, vote_id=pk, voter_id=voter_id)
        return render(
            request,
            "participation/votes/my_vote.html",
            _context(request, state, form),
            status=400,
        )
    messages.success(request, _("Your ballot is cast. Keep the receipt code below."))
    page = reverse("participation:my_vote", args=[pk])
    return redirect(f"{page}?voter={state.voter.pk}" if state.is_proxy and state.voter else page)
