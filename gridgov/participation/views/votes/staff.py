"""The committee's and the community's vote pages (业主表决管理): the list, a new vote with its
scope and rule, opening and closing, and the vote's page with its live board. Each view parses,
calls one service or selector, and renders."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from gridgov.accounts.roles import Perm
from gridgov.accounts.scoping import has_permission
from gridgov.participation import rules
from gridgov.participation.models import MatterType, Vote, VoteStatus
from gridgov.participation.selectors.votes import vote_list_for_actor
from gridgov.participation.services.votes import vote_close, vote_create, vote_open
from gridgov.participation.views.votes.common import (
    can_manage,
    is_staff_viewer,
    refusal_text,
    require,
    status_badge,
    visible_vote,
)
from gridgov.participation.views.votes.forms import VoteCreateForm
from gridgov.participation.views.votes.tally import board_for
from gridgov.registry.selectors.places import (
    building_list_for_actor,
    estate_list_for_actor,
    unit_list_for_actor,
)

LIST_LIMIT = 200


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.isdigit() and len(text) <= 12 else None


def _estates(request: HttpRequest) -> list[tuple[int, str]]:
    return [(estate.pk, estate.name) for estate in estate_list_for_actor(actor=request.user)]


@login_required
@never_cache
@require_GET
def vote_list(request: HttpRequest) -> HttpResponse:
    """The votes of the actor's area, newest first, filtered by status and estate."""
    require(request, Perm.PARTICIPATION_VIEW)
    status = request.GET.get("status", "")
    status = status if status in VoteStatus.values else ""
    estate_id = _int(request.GET.get("estate"))
    votes = vote_list_for_actor(actor=request.user, status=status or None, estate_id=estate_id)
    rows = list(votes.select_related("estate", "building__estate", "unit__building__estate"))
    context = {
        "rows": [{"vote": vote, "badge": status_badge(vote)} for vote in rows[:LIST_LIMIT]],
        "is_truncated": len(rows) > LIST_LIMIT,
        "statuses": VoteStatus.choices,
        "estates": _estates(request),
        "chosen": {"status": status, "estate": estate_id},
        "can_create": has_permission(request.user, Perm.VOTE_MANAGE),
    }
    return render(request, "participation/votes/list.html", context)


def _scope_choices(request: HttpRequest, data: Any) -> dict[str, list[tuple[int, str]]]:
    """The estates in scope, and the buildings and doorways of the chosen estate and building."""
    estate_id = _int(data.get("estate")) if data else None
    building_id = _int(data.get("building")) if data else None
    buildings = (
        [
            (building.pk, building.label)
            for building in building_list_for_actor(actor=request.user, estate_id=estate_id)
        ]
        if estate_id
        else []
    )
    units = (
        [
            (unit.pk, unit.label)
            for unit in unit_list_for_actor(actor=request.user, building_id=building_id)
        ]
        if building_id and building_id in {pk for pk, _label in buildings}
        else []
    )
    return {"estates": _estates(request), "buildings": buildings, "units": units}


def _rule_context(matter: str, rule_set: str, is_elevator: bool) -> dict[str, Any]:
    if matter not in MatterType.values or rule_set not in rules.RULE_SETS:
        return {"rule": None}
    rule = rules.rule_for(rule_set=rule_set, matter=matter, is_elevator=is_elevator)
    return {"rule": rule, "matter_label": MatterType(matter).label}


@login_required
@never_cache
@require_http_methods(["GET", "POST"])
def vote_create_page(request: HttpRequest) -> HttpResponse:
    """A new vote (a draft until it is opened): scope, matter and the rule it implies, options,
    dates, and whether the tally is shown live or sealed until the close."""
    require(request, Perm.VOTE_MANAGE)
    data = request.POST if request.method == "POST" else None
    form = VoteCreateForm(data, **_scope_choices(request, data))
    if request.method == "POST" and form.is_valid():
        values = form.cleaned_data
        try:
            vote = vote_create(
                actor=request.user,
                title=values["title"],
                description=values["description"],
                matter=values["matter"],
                is_elevator=values["is_elevator"],
                rule_set=values["rule_set"],
                options_kind=values["options_kind"],
                plans=values["plans"],
                opens_at=values["opens_at"],
                closes_at=values["closes_at"],
                visibility=values["visibility"],
                **form.scope(),
            )
        except PermissionDenied:
            form.add_error("estate", _("You may not manage the votes of this place."))
        except ValidationError as refusal:
            form.add_refusal(refusal)
        else:
            messages.success(request, _("Vote created as a draft. Open it to build the roll."))
            return redirect("participation:vote_detail", pk=vote.pk)
    matter = form["matter"].value() or MatterType.FUND_USE
    rule_set = form["rule_set"].value() or rules.DEFAULT_RULE_SET
    context = {
        "form": form,
        **_rule_context(str(matter), str(rule_set), bool(form["is_elevator"].value())),
    }
    status = 400 if request.method == "POST" else 200
    return render(request, "participation/votes/create.html", context, status=status)


@login_required
@require_GET
def vote_scope_choices(request: HttpRequest) -> HttpResponse:
    """The building and doorway pickers for the chosen estate and building (htmx)."""
    require(request, Perm.VOTE_MANAGE)
    form = VoteCreateForm(
        initial={
            "building": _int(request.GET.get("building")),
            "unit": _int(request.GET.get("unit")),
        },
        **_scope_choices(request, request.GET),
    )
    return render(request, "participation/votes/_scope_pickers.html", {"form": form})


@login_required
@require_GET
def vote_rule_preview(request: HttpRequest) -> HttpResponse:
    """The thresholds a matter implies under a rule set (htmx, on the new-vote form)."""
    require(request, Perm.VOTE_MANAGE)
    context = _rule_context(
        request.GET.get("matter", ""),
        request.GET.get("rule_set", ""),
        request.GET.get("is_elevator", "") in ("on", "true", "1"),
    )
    return render(request, "participation/votes/_rule.html", context)


def _staff_vote(request: HttpRequest, pk: int) -> Vote:
    vote = visible_vote(request, pk)
    if not is_staff_viewer(request, vote):
        # An owner on the roll follows the vote on the owner's page.
        raise PermissionDenied
    return vote


@login_required
@never_cache
@require_GET
def vote_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The vote: what is decided, the rule, the dates, the steps staff may take, the board."""
    require(request, Perm.PARTICIPATION_VIEW)
    vote = _staff_vote(request, pk)
    context = {
        "vote": vote,
        "badge": status_badge(vote),
        "rule": rules.rule_for(
            rule_set=vote.rule_set, matter=vote.matter, is_elevator=vote.is_elevator
        ),
        "plans": list(vote.options.all()),
        "can_manage": can_manage(request, vote),
        **board_for(request, vote),
    }
    return render(request, "participation/votes/detail.html", context)


@login_required
@require_POST
def vote_open_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Open the vote: the roll is taken from the ownership records at this moment."""
    require(request, Perm.VOTE_MANAGE)
    vote = _staff_vote(request, pk)
    try:
        vote = vote_open(actor=request.user, vote_id=vote.pk)
    except ValidationError as refusal:
        messages.error(request, refusal_text(refusal))
    else:
        messages.success(
            request,
            _("Vote opened: %(owners)d owners on the roll.") % {"owners": vote.total_owners},
        )
    return redirect("participation:vote_detail", pk=pk)


@login_required
@require_POST
def vote_close_page(request: HttpRequest, pk: int) -> HttpResponse:
    """Close the vote: the count is frozen, the outcome certified and the ballots sealed."""
    require(request, Perm.VOTE_MANAGE)
    vote = _staff_vote(request, pk)
    if request.POST.get("confirm") != "yes":
        messages.error(request, _("Tick the box to confirm that the vote closes now."))
        return redirect("participation:vote_detail", pk=pk)
    try:
        vote_close(actor=request.user, vote_id=vote.pk)
    except ValidationError as refusal:
        messages.error(request, refusal_text(refusal))
        return redirect("participation:vote_detail", pk=pk)
    messages.success(request, _("Vote closed and its result certified."))
    return redirect("participation:vote_result", pk=pk)
