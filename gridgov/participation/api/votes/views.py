"""The vote API's views: each parses, calls one selector or service, and answers.

Refusals are ``{code, message}``: 409 when the vote's state does not allow the step (not open,
closed, already open) or the owner has voted already (``duplicate_ballot``), 403 for a ballot by
someone who is not an owner on the roll or not the recorded proxy, 400 for other bad input. An
unknown vote and one outside the actor's area are the same 404.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils.translation import gettext as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import FormParser, JSONParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from gridgov.accounts.roles import Perm
from gridgov.participation import rules
from gridgov.participation.api.errors import errors, refusals_answered, require
from gridgov.participation.api.votes import serializers as s
from gridgov.participation.exports.vote_excel import vote_result_xlsx
from gridgov.participation.exports.vote_pdf import vote_result_pdf
from gridgov.participation.models import Vote
from gridgov.participation.selectors import votes as selectors
from gridgov.participation.services import votes as services
from gridgov.participation.views.votes.common import attachment

PARSERS = [MultiPartParser, FormParser, JSONParser]
TAGS = ["votes"]


def _answer_for(error: ValidationError) -> int:
    if isinstance(error, services.VoteStateError | services.DuplicateBallotError):
        return status.HTTP_409_CONFLICT
    if isinstance(error, services.NotAnOwnerError | services.ProxyNotAuthorisedError):
        return status.HTTP_403_FORBIDDEN
    return status.HTTP_400_BAD_REQUEST


# The vote services' refusals as the API's JSON errors.
refusals_as_errors = refusals_answered(_answer_for)


# --- rows --------------------------------------------------------------------------------------


def _scope(vote: Vote) -> dict[str, Any]:
    if vote.unit_id:
        return {"kind": "unit", "id": vote.unit_id, "label": vote.scope_label}
    if vote.building_id:
        return {"kind": "building", "id": vote.building_id, "label": vote.scope_label}
    return {"kind": "estate", "id": vote.estate_id, "label": vote.scope_label}


def vote_row(vote: Vote) -> dict[str, Any]:
    return {
        "id": vote.pk,
        "title": vote.title,
        "scope": _scope(vote),
        "cell": vote.cell.code,
        "matter": vote.matter,
        "matter_label": str(vote.get_matter_display()),
        "is_elevator": vote.is_elevator,
        "rule_set": vote.rule_set,
        "options_kind": vote.options_kind,
        "visibility": vote.visibility,
        "status": vote.status,
        "status_label": str(vote.get_status_display()),
        "opens_at": vote.opens_at,
        "closes_at": vote.closes_at,
        "opened_at": vote.opened_at,
        "closed_at": vote.closed_at,
        "total_owners": vote.total_owners,
        "total_units": vote.total_units,
        "seal_hash": vote.seal_hash,
    }


def _rule(vote: Vote) -> rules.AppliedRule:
    return rules.rule_for(rule_set=vote.rule_set, matter=vote.matter, is_elevator=vote.is_elevator)


def vote_detail(request: Request, vote: Vote) -> dict[str, Any]:
    return {
        **vote_row(vote),
        "description": vote.description,
        "plans": [
            {"id": plan.pk, "label": plan.label, "description": plan.description}
            for plan in vote.options.all()
        ],
        "rule": _rule(vote).to_dict(),
        "can_manage": selectors.vote_manage_allowed(actor=request.user, vote=vote),
    }


def _counts(counts: rules.Counts) -> dict[str, Any]:
    return {
        "heads": counts.heads,
        "area": rules.fraction_text(counts.area),
        "area_m2": str(rules.decimal_m2(counts.area)),
    }


def tally_data(vote: Vote, tally: selectors.Tally) -> dict[str, Any]:
    decision = tally.decision
    return {
        "vote_id": tally.vote_id,
        "status": vote.status,
        "is_sealed": tally.is_sealed,
        "ballot_count": tally.ballot_count,
        "rule": tally.rule.to_dict(),
        "totals": _counts(tally.totals),
        "participating": _counts(tally.participating) if tally.participating else None,
        "options": None
        if tally.options is None
        else [
            {
                "key": option.key,
                "label": option.label,
                "owners": option.owners,
                "heads": option.heads,
                "area": rules.fraction_text(option.area),
                "area_m2": str(option.area_m2),
            }
            for option in tally.options
        ],
        "outcome": decision.outcome if decision else None,
        "reason": decision.reason if decision else None,
        "tests": [test.to_dict() for test in decision.tests] if decision else None,
        "winner": tally.winner,
    }


def _page(view: APIView, request: Request, rows: Any, render: Any) -> Response:
    paginator = PageNumberPagination()
    chunk: list[Any] | None = paginator.paginate_queryset(rows, request, view=view)
    return paginator.get_paginated_response(render(chunk or []))


def _vote(request: Request, vote_id: int) -> Vote:
    return selectors.vote_get_for_actor(actor=request.user, vote_id=vote_id)


# --- votes -------------------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class VoteListView(APIView):
    """Votes of your area (staff); ``POST`` creates a draft vote (vote managers)."""

    @extend_schema(
        parameters=[s.VoteFilterSerializer],
        responses={200: s.VoteSerializer(many=True), **errors(400, 403)},
    )
    def get(self, request: Request) -> Response:
        require(request, Perm.PARTICIPATION_VIEW)
        query = s.VoteFilterSerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        votes = selectors.vote_list_for_actor(
            actor=request.user,
            status=query.validated_data.get("status"),
            estate_id=query.validated_data.get("estate"),
        )
        return _page(self, request, votes, lambda rows: [vote_row(vote) for vote in rows])

    @extend_schema(
        request=s.VoteCreateSerializer,
        responses={201: s.VoteDetailSerializer, **errors(400, 403)},
    )
    @refusals_as_errors
    def post(self, request: Request) -> Response:
        require(request, Perm.VOTE_MANAGE)
        form = s.VoteCreateSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = dict(form.validated_data)
        data.setdefault("rule_set", rules.DEFAULT_RULE_SET)
        vote = services.vote_create(actor=request.user, **data)
        return Response(
            vote_detail(request, _vote(request, vote.pk)), status=status.HTTP_201_CREATED
        )


@extend_schema(tags=TAGS)
class OwnerVoteListView(APIView):
    """The votes you take part in as an owner (or as a recorded proxy), open ones first."""

    @extend_schema(responses={200: s.OwnerVoteSerializer(many=True), **errors(403)})
    def get(self, request: Request) -> Response:
        require(request, Perm.PARTICIPATION_TAKE_PART)
        rows = selectors.vote_list_for_owner(actor=request.user)
        return _page(
            self,
            request,
            rows,
            lambda chunk: [
                {
                    "vote": vote_row(row.vote),
                    "voter_id": row.voter_id,
                    "has_ballot": row.has_ballot,
                    "is_proxy": row.is_proxy,
                    "can_cast": row.can_cast,
                }
                for row in chunk
            ],
        )


@extend_schema(tags=TAGS)
class VoteDetailView(APIView):
    """One vote with its rule and plans (staff of its area, or an owner on its roll)."""

    @extend_schema(responses={200: s.VoteDetailSerializer, **errors(404)})
    def get(self, request: Request, vote_id: int) -> Response:
        return Response(vote_detail(request, _vote(request, vote_id)))


@extend_schema(tags=TAGS)
class VoteOpenView(APIView):
    """Open a draft vote: the roll is taken from the ownership records now."""

    @extend_schema(
        request=None, responses={200: s.VoteDetailSerializer, **errors(400, 403, 404, 409)}
    )
    @refusals_as_errors
    def post(self, request: Request, vote_id: int) -> Response:
        vote = services.vote_open(actor=request.user, vote_id=_vote(request, vote_id).pk)
        return Response(vote_detail(request, _vote(request, vote.pk)))


@extend_schema(tags=TAGS)
class VoteCloseView(APIView):
    """Close an open vote: the count is frozen, the result certified, the ballots sealed."""

    @extend_schema(request=None, responses={200: s.VoteDetailSerializer, **errors(403, 404, 409)})
    @refusals_as_errors
    def post(self, request: Request, vote_id: int) -> Response:
        vote = services.vote_close(actor=request.user, vote_id=_vote(request, vote_id).pk)
        return Response(vote_detail(request, _vote(request, vote.pk)))


@extend_schema(tags=TAGS)
class VoteTallyView(APIView):
    """The live tally by area and by head, per option, toward the quorum; for a vote sealed
    until the close, only the number of ballots."""

    @extend_schema(responses={200: s.VoteTallySerializer, **errors(404)})
    def get(self, request: Request, vote_id: int) -> Response:
        vote = _vote(request, vote_id)
        return Response(tally_data(vote, selectors.vote_tally(vote)))


# --- ballots -----------------------------------------------------------------------------------


@extend_schema(tags=TAGS)
class BallotListView(APIView):
    """Every ballot with names masked (open to the scope's owners); ``POST`` casts your own."""

    parser_classes = [JSONParser, FormParser]

    @extend_schema(responses={200: s.VoteBallotRowSerializer(many=True), **errors(404)})
    def get(self, request: Request, vote_id: int) -> Response:
        rows = selectors.vote_ballot_list_for_actor(actor=request.user, vote_id=vote_id)
        return _page(
            self,
            request,
            rows,
            lambda chunk: [
                {
                    "masked_name": row.masked_name,
                    "rooms": row.rooms,
                    "choice_label": row.choice_label,
                    "channel_label": row.channel_label,
                    "cast_at": row.cast_at,
                    "receipt_tail": row.receipt_tail,
                }
                for row in chunk
            ],
        )

    @extend_schema(
        request=s.VoteBallotCastSerializer,
        responses={201: s.VoteBallotReceiptSerializer, **errors(400, 403, 404, 409)},
    )
    @refusals_as_errors
    def post(self, request: Request, vote_id: int) -> Response:
        require(request, Perm.PARTICIPATION_TAKE_PART)
        form = s.VoteBallotCastSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        ballot = services.ballot_cast(
            actor=request.user, vote_id=_vote(request, vote_id).pk, **form.validated_data
        )
        return _receipt_created(ballot)


def _receipt_created(ballot: Any) -> Response:
    """The 201 answer to a ballot stored online or from paper: the voter's receipt."""
    body = {
        "vote_id": ballot.vote_id,
        "receipt": ballot.receipt,
        "channel": ballot.channel,
        "cast_at": ballot.created_at,
    }
    return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS)
class PaperBallotView(APIView):
    """Record a paper ballot with a photo of the paper (multipart)."""

    parser_classes = PARSERS

    @extend_schema(
        request={"multipart/form-data": s.VotePaperBallotSerializer},
        responses={201: s.VoteBallotReceiptSerializer, **errors(400, 403, 404, 409)},
    )
    @refusals_as_errors
    def post(self, request: Request, vote_id: int) -> Response:
        require(request, Perm.VOTE_MANAGE)
        form = s.VotePaperBallotSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        ballot = services.paper_ballot_record(
            actor=request.user,
            vote_id=_vote(request, vote_id).pk,
            voter_id=data["voter_id"],
            choice=data["choice"],
            option_id=data["option_id"],
            proxy_id=data["proxy_id"],
            photo=data["photo"],
        )
        return _receipt_created(ballot)


@extend_schema(tags=TAGS)
class ProxyView(APIView):
    """Record a proxy's written authorisation (授权委托书) for one owner (multipart)."""

    parser_classes = PARSERS

    @extend_schema(
        request={"multipart/form-data": s.VoteProxySerializer},
        responses={201: s.VoteProxyRecordedSerializer, **errors(400, 403, 404, 409)},
    )
    @refusals_as_errors
    def post(self, request: Request, vote_id: int) -> Response:
        require(request, Perm.VOTE_MANAGE)
        form = s.VoteProxySerializer(data=request.data)
        form.is_valid(raise_exception=True)
        data = form.validated_data
        proxy = services.proxy_record(
            actor=request.user,
            vote_id=_vote(request, vote_id).pk,
            voter_id=data["voter_id"],
            reference=data["reference"],
            document=data["document"],
            proxy_person_id=data["proxy_person_id"],
            proxy_name=data["proxy_name"],
        )
        body = {
            "id": proxy.pk,
            "voter_id": proxy.voter_id,
            "reference": proxy.reference,
            "recorded_at": proxy.recorded_at,
        }
        return Response(body, status=status.HTTP_201_CREATED)


@extend_schema(tags=TAGS)
class DesignationView(APIView):
    """Record which co-owner votes for a jointly owned unit."""

    @extend_schema(
        request=s.VoteDesignationSerializer,
        responses={200: s.VoteDesignatedSerializer, **errors(400, 403, 404, 409)},
    )
    @refusals_as_errors
    def post(self, request: Request, vote_id: int) -> Response:
        require(request, Perm.VOTE_MANAGE)
        form = s.VoteDesignationSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        voter = services.voter_designate(
            actor=request.user, vote_id=_vote(request, vote_id).pk, **form.validated_data
        )
        return Response({"voter_id": voter.pk, "designated_person_id": voter.designated_person_id})


@extend_schema(tags=TAGS)
class RollView(APIView):
    """The roll for staff of the vote's area, names masked."""

    @extend_schema(responses={200: s.VoteRollRowSerializer(many=True), **errors(403, 404)})
    def get(self, request: Request, vote_id: int) -> Response:
        require(request, Perm.PARTICIPATION_VIEW)
        rows = selectors.vote_roll_for_actor(actor=request.user, vote_id=vote_id)
        return _page(
            self,
            request,
            rows,
            lambda chunk: [dict(s.VoteRollRowSerializer(row).data) for row in chunk],
        )


@extend_schema(tags=TAGS)
class ReceiptCheckView(APIView):
    """Check that the ballot with a receipt code is in the count (a read; not audited)."""

    @extend_schema(
        request=s.VoteReceiptCheckInSerializer,
        responses={200: s.VoteReceiptCheckSerializer, **errors(400, 404)},
    )
    @refusals_as_errors
    def post(self, request: Request, vote_id: int) -> Response:
        form = s.VoteReceiptCheckInSerializer(data=request.data)
        form.is_valid(raise_exception=True)
        check = services.ballot_verify_receipt(
            actor=request.user, vote_id=vote_id, receipt=form.validated_data["receipt"]
        )
        return Response(s.VoteReceiptCheckSerializer(check).data)


# --- the certified result ----------------------------------------------------------------------


@extend_schema(tags=TAGS)
class ResultView(APIView):
    """The certified result stored at the close, with the seal checked again now."""

    @extend_schema(responses={200: s.VoteCertifiedResultSerializer, **errors(404, 409)})
    @refusals_as_errors
    def get(self, request: Request, vote_id: int) -> Response:
        result = selectors.vote_result_for_actor(actor=request.user, vote_id=vote_id)
        if result is None:
            raise services.VoteStateError(
                _("The result is certified when the vote closes."),
                "vote_not_closed",
            )
        seal = selectors.vote_seal_verify(actor=request.user, vote_id=vote_id)
        return Response(
            {
                **result,
                "seal_check": {
                    "is_intact": seal.is_intact,
                    "recorded": seal.recorded,
                    "recomputed": seal.recomputed,
                },
            }
        )


@extend_schema(tags=TAGS)
class ResultPdfView(APIView):
    """The certificate as a PDF (Chinese fonts; names masked). Audited."""

    @extend_schema(responses={(200, "application/pdf"): OpenApiTypes.BINARY, **errors(404, 409)})
    @refusals_as_errors
    def get(self, request: Request, vote_id: int) -> HttpResponse:
        return attachment(vote_result_pdf(actor=request.user, vote_id=vote_id))


@extend_schema(tags=TAGS)
class ResultXlsxView(APIView):
    """The certificate as an Excel workbook (result and masked ballots). Audited."""

    @extend_schema(
        responses={
            (
                200,
                "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            ): OpenApiTypes.BINARY,
            **errors(404, 409),
        }
    )
    @refusals_as_errors
    def get(self, request: Request, vote_id: int) -> HttpResponse:
        return attachment(vote_result_xlsx(actor=request.user, vote_id=vote_id))
