"""The vote API under ``/api/v1/votes/``: scoped reads, the steps of staff and owners, refusals
as ``{code, message}`` with the tally unchanged, and every endpoint in the OpenAPI schema."""

from __future__ import annotations

import datetime
from collections.abc import Iterator

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone, translation
from rest_framework.test import APIClient

from gridgov.cases.tests.helpers_pages import PNG
from gridgov.core.models import AuditEntry
from gridgov.participation.models import Ballot, ProxyAuthorisation, Vote, Voter, VoteStatus
from gridgov.participation.services.votes import ballot_cast, proxy_record, vote_close
from gridgov.participation.tests.factories import VotePagesScene, vote_pages_scene

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_and_english(settings, tmp_path) -> Iterator[None]:
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


@pytest.fixture
def scene(town) -> VotePagesScene:
    return vote_pages_scene(town)


def api(user) -> APIClient:
    client = APIClient(HTTP_ACCEPT_LANGUAGE="en")
    client.force_authenticate(user)
    return client


def path(name: str, *args: object) -> str:
    return reverse(name, args=args)


def ballots(vote: Vote) -> list[tuple[str, str, str]]:
    return sorted(Ballot.objects.filter(vote=vote).values_list("voter__key", "choice", "channel"))


def voter_of(scene: VotePagesScene, index: int) -> Voter:
    return Voter.objects.get(vote=scene.vote, members__person=scene.owners[index])


# --- reads -------------------------------------------------------------------------------------


def test_staff_list_the_votes_of_their_area_and_outsiders_see_none(scene: VotePagesScene) -> None:
    mine = api(scene.world.staff).get(path("api-votes"), {"status": "open"})
    theirs = api(scene.world.outsider).get(path("api-votes"))

    assert mine.status_code == 200
    assert [row["id"] for row in mine.json()["results"]] == [scene.vote.pk]
    row = mine.json()["results"][0]
    assert row["scope"] == {
        "kind": "estate",
        "id": scene.world.estate.pk,
        "label": scene.world.estate.name,
    }
    assert (row["status"], row["total_owners"], row["total_units"]) == ("open", 4, 4)
    assert theirs.json()["results"] == []


def test_a_resident_may_not_list_the_staff_votes_but_lists_their_own(
    scene: VotePagesScene,
) -> None:
    staff_list = api(scene.accounts[0]).get(path("api-votes"))
    mine = api(scene.accounts[0]).get(path("api-votes-mine"))

    assert staff_list.status_code == 403
    assert staff_list.json()["code"] == "permission_denied"
    assert [
        (row["vote"]["id"], row["has_ballot"], row["can_cast"]) for row in mine.json()["results"]
    ] == [(scene.vote.pk, False, True)]


def test_a_bad_filter_is_a_400_with_the_field(scene: VotePagesScene) -> None:
    answer = api(scene.world.staff).get(path("api-votes"), {"status": "maybe"})

    assert answer.status_code == 400
    assert answer.json()["code"] == "invalid"
    assert list(answer.json()["fields"]) == ["status"]


def test_the_vote_detail_carries_its_rule_and_is_404_outside_the_area(
    scene: VotePagesScene,
) -> None:
    detail = api(scene.accounts[0]).get(path("api-vote", scene.vote.pk))
    outside = api(scene.world.outsider).get(path("api-vote", scene.vote.pk))
    stranger = api(scene.stranger).get(path("api-vote", scene.vote.pk))

    body = detail.json()
    assert detail.status_code == 200
    assert body["rule"]["code"] == "civil_code_2021"
    assert (body["rule"]["quorum_area"], body["rule"]["approval_area"]) == ("≥ 2/3", "> 1/2")
    assert body["can_manage"] is False
    assert (outside.status_code, stranger.status_code) == (404, 404)
    assert outside.json()["code"] == "not_found"


def test_the_tally_counts_by_area_and_by_head_exactly(scene: VotePagesScene) -> None:
    ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes")
    ballot_cast(actor=scene.accounts[1], vote_id=scene.vote.pk, choice="no")

    body = api(scene.world.viewer).get(path("api-vote-tally", scene.vote.pk)).json()

    assert (body["status"], body["is_sealed"], body["ballot_count"]) == ("open", False, 2)
    assert body["totals"] == {"heads": 4, "area": "400", "area_m2": "400.00"}
    assert body["participating"] == {"heads": 2, "area": "200", "area_m2": "200.00"}
    assert [(o["key"], o["heads"], o["area"]) for o in body["options"]] == [
        ("yes", 1, "100"),
        ("no", 1, "100"),
        ("abstain", 0, "0"),
    ]
    assert body["outcome"] == "failed_quorum"
    assert [(t["code"], t["ratio"], t["passed"]) for t in body["tests"]] == [
        ("quorum_area", "1/2", False),
        ("quorum_heads", "1/2", False),
        ("approval_area", "1/2", False),
        ("approval_heads", "1/2", False),
    ]


def test_a_sealed_tally_gives_only_the_number_of_ballots(town) -> None:
    scene = vote_pages_scene(town, visibility="sealed")
    ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes")

    body = api(scene.world.staff).get(path("api-vote-tally", scene.vote.pk)).json()

    assert (body["is_sealed"], body["ballot_count"]) == (True, 1)
    assert (body["participating"], body["options"], body["tests"]) == (None, None, None)


# --- staff steps -------------------------------------------------------------------------------


def _new_vote(scene: VotePagesScene, **changes: object) -> dict[str, object]:
    now = timezone.now()
    data: dict[str, object] = {
        "title": "更换二期变压器",
        "estate_id": scene.world.estate.pk,
        "matter": "item5_fund_use",
        "opens_at": (now + datetime.timedelta(hours=1)).isoformat(),
        "closes_at": (now + datetime.timedelta(days=10)).isoformat(),
    }
    data.update(changes)
    return data


def test_staff_create_open_and_close_a_vote(scene: VotePagesScene) -> None:
    client = api(scene.world.staff)

    created = client.post(path("api-votes"), _new_vote(scene), format="json")
    vote_id = created.json()["id"]
    opened = client.post(path("api-vote-open", vote_id))
    closed = client.post(path("api-vote-close", vote_id))

    assert created.status_code == 201
    assert (created.json()["status"], created.json()["rule"]["approval_area"]) == ("draft", "> 1/2")
    assert (opened.status_code, opened.json()["status"], opened.json()["total_owners"]) == (
        200,
        "open",
        4,
    )
    assert closed.status_code == 200
    assert closed.json()["status"] == "closed"
    assert len(closed.json()["seal_hash"]) == 64


@pytest.mark.parametrize(
    ("changes", "code"),
    [
        ({"estate_id": None}, "vote_scope"),
        ({"matter": "item5_fund_use", "is_elevator": True}, "matter"),
        ({"closes_at": "2020-01-01T00:00:00+08:00"}, "dates"),
        ({"options_kind": "plans", "plans": ["方案一"]}, "plans"),
        ({"title": ""}, "invalid"),
    ],
)
def test_a_bad_new_vote_is_refused_with_a_code(
    scene: VotePagesScene, changes: dict, code: str
) -> None:
    answer = api(scene.world.staff).post(
        path("api-votes"), _new_vote(scene, **changes), format="json"
    )

    assert answer.status_code == 400
    assert answer.json()["code"] == code
    assert not Vote.objects.filter(title="更换二期变压器").exists()


def test_a_grid_worker_may_not_create_or_close_votes(scene: VotePagesScene) -> None:
    client = api(scene.world.viewer)

    created = client.post(path("api-votes"), _new_vote(scene), format="json")
    closed = client.post(path("api-vote-close", scene.vote.pk))

    assert (created.status_code, closed.status_code) == (403, 403)
    scene.vote.refresh_from_db()
    assert scene.vote.status == VoteStatus.OPEN
    assert not Vote.objects.filter(title="更换二期变压器").exists()


def test_opening_an_open_vote_is_a_conflict(scene: VotePagesScene) -> None:
    answer = api(scene.world.staff).post(path("api-vote-open", scene.vote.pk))

    assert answer.status_code == 409
    assert answer.json() == {
        "code": "vote_not_draft",
        "message": "Only a draft vote can be opened.",
    }


# --- ballots -----------------------------------------------------------------------------------


def test_an_owner_casts_a_ballot_and_gets_a_receipt(scene: VotePagesScene) -> None:
    answer = api(scene.accounts[0]).post(
        path("api-vote-ballots", scene.vote.pk), {"choice": "yes"}, format="json"
    )

    ballot = Ballot.objects.get(vote=scene.vote)
    assert answer.status_code == 201
    assert answer.json()["receipt"] == ballot.receipt
    assert answer.json()["channel"] == "online"
    assert ballots(scene.vote) == [(f"p{scene.owners[0].pk}", "yes", "online")]


def test_a_second_ballot_is_a_conflict_and_the_first_stands(scene: VotePagesScene) -> None:
    client = api(scene.accounts[0])
    client.post(path("api-vote-ballots", scene.vote.pk), {"choice": "yes"}, format="json")

    again = client.post(path("api-vote-ballots", scene.vote.pk), {"choice": "no"}, format="json")

    assert again.status_code == 409
    assert again.json() == {
        "code": "duplicate_ballot",
        "message": "This owner has already voted online; a ballot cannot be changed.",
    }
    assert ballots(scene.vote) == [(f"p{scene.owners[0].pk}", "yes", "online")]


def test_a_ballot_after_the_close_is_a_conflict(scene: VotePagesScene) -> None:
    vote_close(actor=scene.world.staff, vote_id=scene.vote.pk)

    answer = api(scene.accounts[0]).post(
        path("api-vote-ballots", scene.vote.pk), {"choice": "yes"}, format="json"
    )

    assert answer.status_code == 409
    assert answer.json()["code"] == "vote_closed"
    assert ballots(scene.vote) == []


def test_a_ballot_by_someone_not_on_the_roll_is_not_found(scene: VotePagesScene) -> None:
    answer = api(scene.stranger).post(
        path("api-vote-ballots", scene.vote.pk), {"choice": "yes"}, format="json"
    )

    assert answer.status_code == 404
    assert ballots(scene.vote) == []


def test_voting_for_another_owner_without_an_authorisation_is_refused(
    scene: VotePagesScene,
) -> None:
    answer = api(scene.accounts[0]).post(
        path("api-vote-ballots", scene.vote.pk),
        {"choice": "yes", "voter_id": voter_of(scene, 1).pk},
        format="json",
    )

    assert answer.status_code == 403
    assert answer.json() == {
        "code": "proxy_not_authorised",
        "message": "No recorded authorisation lets you vote for this owner.",
    }
    assert ballots(scene.vote) == []


def test_a_recorded_proxy_votes_for_the_owner(scene: VotePagesScene) -> None:
    proxy_record(
        actor=scene.world.staff,
        vote_id=scene.vote.pk,
        voter_id=voter_of(scene, 1).pk,
        reference="委托书-7",
        document=SimpleUploadedFile("auth.pdf", b"%PDF-1.4", "application/pdf"),
        proxy_person_id=scene.owners[0].pk,
    )

    answer = api(scene.accounts[0]).post(
        path("api-vote-ballots", scene.vote.pk),
        {"choice": "no", "voter_id": voter_of(scene, 1).pk},
        format="json",
    )

    assert answer.status_code == 201
    assert answer.json()["channel"] == "proxy"
    assert ballots(scene.vote) == [(voter_of(scene, 1).key, "no", "proxy")]


def test_the_ballot_list_is_masked(scene: VotePagesScene) -> None:
    ballot = ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes")

    body = api(scene.accounts[2]).get(path("api-vote-ballots", scene.vote.pk)).json()

    assert body["count"] == 1
    row = body["results"][0]
    assert row["masked_name"] != scene.owners[0].name
    assert row["masked_name"].startswith(scene.owners[0].name[0])
    assert "*" in row["masked_name"]
    assert (row["choice_label"], row["receipt_tail"]) == ("Yes", ballot.receipt[-4:])


def test_staff_record_a_paper_ballot_by_multipart(scene: VotePagesScene) -> None:
    voter = voter_of(scene, 2)

    answer = api(scene.world.staff).post(
        path("api-vote-paper-ballots", scene.vote.pk),
        {
            "voter_id": voter.pk,
            "choice": "abstain",
            "photo": SimpleUploadedFile("p.png", PNG, "image/png"),
        },
        format="multipart",
    )

    assert answer.status_code == 201
    assert answer.json()["channel"] == "paper"
    assert ballots(scene.vote) == [(voter.key, "abstain", "paper")]


def test_a_paper_ballot_whose_photo_is_not_an_image_is_refused(scene: VotePagesScene) -> None:
    answer = api(scene.world.staff).post(
        path("api-vote-paper-ballots", scene.vote.pk),
        {
            "voter_id": voter_of(scene, 2).pk,
            "choice": "yes",
            "photo": SimpleUploadedFile("p.png", b"MZ not a photo", "image/png"),
        },
        format="multipart",
    )

    assert answer.status_code == 400
    assert answer.json() == {
        "code": "upload_not_image",
        "message": "The photo must be a JPEG, PNG or WebP image.",
    }
    assert ballots(scene.vote) == []


def test_a_paper_ballot_for_an_owner_who_voted_online_is_a_conflict(
    scene: VotePagesScene,
) -> None:
    ballot_cast(actor=scene.accounts[2], vote_id=scene.vote.pk, choice="yes")

    answer = api(scene.world.staff).post(
        path("api-vote-paper-ballots", scene.vote.pk),
        {
            "voter_id": voter_of(scene, 2).pk,
            "choice": "no",
            "photo": SimpleUploadedFile("p.png", PNG, "image/png"),
        },
        format="multipart",
    )

    assert answer.status_code == 409
    assert answer.json()["code"] == "duplicate_ballot"
    assert ballots(scene.vote) == [(voter_of(scene, 2).key, "yes", "online")]


def test_staff_record_a_proxy_and_a_designation(scene: VotePagesScene) -> None:
    client = api(scene.world.staff)
    joint = Voter.objects.get(vote=scene.vote, members__person=scene.co_owners[0])

    proxy = client.post(
        path("api-vote-proxies", scene.vote.pk),
        {
            "voter_id": voter_of(scene, 1).pk,
            "reference": "委托书-8",
            "proxy_name": "赵六",
            "document": SimpleUploadedFile("a.pdf", b"%PDF-1.7", "application/pdf"),
        },
        format="multipart",
    )
    designated = client.post(
        path("api-vote-designations", scene.vote.pk),
        {"voter_id": joint.pk, "person_id": scene.co_owners[1].pk},
        format="json",
    )
    refused = client.post(
        path("api-vote-designations", scene.vote.pk),
        {"voter_id": joint.pk, "person_id": scene.owners[0].pk},
        format="json",
    )

    assert proxy.status_code == 201
    assert ProxyAuthorisation.objects.get().reference == "委托书-8"
    assert designated.json() == {
        "voter_id": joint.pk,
        "designated_person_id": scene.co_owners[1].pk,
    }
    assert refused.status_code == 400
    assert refused.json()["code"] == "not_a_co_owner"


def test_a_proxy_without_its_document_is_refused(scene: VotePagesScene) -> None:
    answer = api(scene.world.staff).post(
        path("api-vote-proxies", scene.vote.pk),
        {"voter_id": voter_of(scene, 1).pk, "reference": "委托书-9", "proxy_name": "赵六"},
        format="multipart",
    )

    assert answer.status_code == 400
    assert list(answer.json()["fields"]) == ["document"]
    assert not ProxyAuthorisation.objects.exists()


def test_the_roll_is_for_staff_only(scene: VotePagesScene) -> None:
    staff = api(scene.world.staff).get(path("api-vote-roll", scene.vote.pk))
    owner = api(scene.accounts[0]).get(path("api-vote-roll", scene.vote.pk))

    assert staff.json()["count"] == 4
    assert owner.status_code == 403


def test_a_receipt_is_checked(scene: VotePagesScene) -> None:
    ballot = ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="no")
    client = api(scene.accounts[0])

    found = client.post(
        path("api-vote-receipt-check", scene.vote.pk), {"receipt": ballot.receipt}, format="json"
    )
    missing = client.post(
        path("api-vote-receipt-check", scene.vote.pk), {"receipt": "ZZZZ"}, format="json"
    )

    # found while the vote is open; counted once the vote closes
    assert (found.json()["is_found"], found.json()["is_counted"]) == (True, False)
    assert found.json()["choice_label"] == "No"
    assert missing.json()["is_found"] is False


# --- the result --------------------------------------------------------------------------------


def test_the_result_is_a_conflict_before_the_close_and_certified_after(
    scene: VotePagesScene,
) -> None:
    client = api(scene.accounts[0])
    before = client.get(path("api-vote-result", scene.vote.pk))
    for account in scene.accounts:
        ballot_cast(actor=account, vote_id=scene.vote.pk, choice="yes")
    vote_close(actor=scene.world.staff, vote_id=scene.vote.pk)

    after = client.get(path("api-vote-result", scene.vote.pk))
    xlsx = client.get(path("api-vote-result-xlsx", scene.vote.pk))

    assert before.status_code == 409
    assert before.json()["code"] == "vote_not_closed"
    body = after.json()
    assert (body["outcome"], body["passed"], body["ballot_count"]) == ("passed", True, 3)
    assert body["seal_check"]["is_intact"] is True
    assert body["seal_hash"] == body["seal_check"]["recorded"]
    assert xlsx.status_code == 200
    assert AuditEntry.objects.filter(action="participation.vote_result_export").count() == 1


def test_every_vote_endpoint_is_in_the_schema_without_vote_warnings() -> None:
    from drf_spectacular.drainage import GENERATOR_STATS
    from drf_spectacular.generators import SchemaGenerator

    GENERATOR_STATS.reset()
    schema = SchemaGenerator().get_schema(request=None, public=True)

    vote_warnings = [text for text in GENERATOR_STATS._warn_cache if "votes" in str(text).lower()]
    assert vote_warnings == []
    for endpoint in (
        "/api/v1/votes/",
        "/api/v1/votes/mine/",
        "/api/v1/votes/{vote_id}/",
        "/api/v1/votes/{vote_id}/open/",
        "/api/v1/votes/{vote_id}/close/",
        "/api/v1/votes/{vote_id}/tally/",
        "/api/v1/votes/{vote_id}/ballots/",
        "/api/v1/votes/{vote_id}/paper-ballots/",
        "/api/v1/votes/{vote_id}/proxies/",
        "/api/v1/votes/{vote_id}/designations/",
        "/api/v1/votes/{vote_id}/roll/",
        "/api/v1/votes/{vote_id}/receipts/check/",
        "/api/v1/votes/{vote_id}/result/",
        "/api/v1/votes/{vote_id}/result/pdf/",
        "/api/v1/votes/{vote_id}/result/xlsx/",
    ):
        assert endpoint in schema["paths"], endpoint
    assert schema["paths"]["/api/v1/votes/{vote_id}/ballots/"]["post"]["tags"] == ["votes"]
