"""The vote pages: staff (list, new vote, the vote and its board, opening and closing, paper
ballots, proxies, co-owners) and owners (my votes, the ballot with its confirmation step, the
receipt), the ballot list, the certified result and the receipt check — each refused out of
permission or scope, and every form's bad input answered with a clear message and no change."""

from __future__ import annotations

import datetime
from collections.abc import Iterator
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation

from gridgov.cases.tests.helpers_pages import PNG, sign_in_as
from gridgov.core.models import AuditEntry
from gridgov.participation.models import (
    Ballot,
    ProxyAuthorisation,
    Vote,
    Voter,
    VoteStatus,
)
from gridgov.participation.services.votes import ballot_cast, vote_close
from gridgov.participation.tests.factories import (
    VotePagesScene,
    vote_created,
    vote_pages_scene,
)
from gridgov.registry.tests.factories import BuildingFactory, DwellingFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media_and_english(settings, tmp_path) -> Iterator[None]:
    """Uploads in a scratch folder; pages in English, as the assertions are."""
    settings.MEDIA_ROOT = tmp_path / "media"
    with translation.override("en"):
        yield


@pytest.fixture
def scene(town) -> VotePagesScene:
    return vote_pages_scene(town)


def client_for(user) -> Client:
    client = sign_in_as(Client(), user)
    client.cookies["django_language"] = "en"
    return client


def url(name: str, *args: object) -> str:
    return reverse(f"participation:{name}", args=args)


def photo(data: bytes = PNG, name: str = "ballot.png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type="image/png")


def ballot_keys(vote: Vote) -> list[tuple[str, str, str]]:
    return sorted(Ballot.objects.filter(vote=vote).values_list("voter__key", "choice", "channel"))


def voter_of(scene: VotePagesScene, index: int) -> Voter:
    return Voter.objects.get(vote=scene.vote, members__person=scene.owners[index])


# --- staff: list, detail, permissions ----------------------------------------------------------


def test_staff_see_the_votes_of_their_area_filtered_by_status(scene: VotePagesScene) -> None:
    draft = vote_created(scene.world, title="增设电动自行车充电桩")
    client = client_for(scene.world.staff)

    everything = client.get(url("vote_list"))
    open_only = client.get(url("vote_list"), {"status": "open"})
    by_estate = client.get(url("vote_list"), {"estate": scene.world.estate.pk, "status": "draft"})

    assert everything.status_code == 200
    assert [row["vote"].pk for row in everything.context["rows"]] == [scene.vote.pk, draft.pk]
    assert [row["vote"].pk for row in open_only.context["rows"]] == [scene.vote.pk]
    assert [row["vote"].pk for row in by_estate.context["rows"]] == [draft.pk]
    assert 'id="gg-vote-new"' in everything.content.decode()


def test_staff_of_another_community_see_no_vote_and_get_404_for_it(
    scene: VotePagesScene,
) -> None:
    client = client_for(scene.world.outsider)

    listed = client.get(url("vote_list"))
    detail = client.get(url("vote_detail", scene.vote.pk))
    board = client.get(url("vote_board", scene.vote.pk))

    assert listed.context["rows"] == []
    assert detail.status_code == 404
    assert board.status_code == 404


def test_a_resident_may_not_open_the_staff_pages(scene: VotePagesScene) -> None:
    client = client_for(scene.accounts[0])

    assert client.get(url("vote_list")).status_code == 403
    assert client.get(url("vote_create")).status_code == 403
    # an owner on the roll follows the vote on the owner's page, not the staff page
    assert client.get(url("vote_detail", scene.vote.pk)).status_code == 403


def test_a_grid_worker_sees_the_vote_but_may_not_close_it(scene: VotePagesScene) -> None:
    client = client_for(scene.world.viewer)

    page = client.get(url("vote_detail", scene.vote.pk))
    closing = client.post(url("vote_close", scene.vote.pk), {"confirm": "yes"})

    assert page.status_code == 200
    assert 'id="gg-vote-close"' not in page.content.decode()
    assert closing.status_code == 403
    scene.vote.refresh_from_db()
    assert scene.vote.status == VoteStatus.OPEN


def test_the_vote_page_shows_the_rule_and_the_live_board(scene: VotePagesScene) -> None:
    ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes")
    client = client_for(scene.world.staff)

    page = client.get(url("vote_detail", scene.vote.pk))

    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-threshold="quorum_area">≥ 2/3<' in html
    assert 'data-threshold="approval_area">&gt; 1/2<' in html
    assert 'hx-trigger="every 2s"' in html
    assert 'data-figure="ballots">1<' in html
    quorum = page.context["quorum_rows"]
    assert [(row["code"], row["percent"], row["passed"]) for row in quorum] == [
        ("quorum_area", "25.00", False),
        ("quorum_heads", "25.00", False),
    ]


# --- staff: the new vote -----------------------------------------------------------------------


def _new_vote(scene: VotePagesScene, **changes: object) -> dict[str, object]:
    now = timezone.localtime()
    data: dict[str, object] = {
        "title": "加装电梯",
        "description": "3号楼1单元加装电梯",
        "estate": scene.world.estate.pk,
        "building": scene.world.building.pk,
        "unit": scene.world.unit.pk,
        "matter": "item7_alteration",
        "is_elevator": "on",
        "rule_set": "civil_code_2021",
        "options_kind": "yes_no",
        "plans": "",
        "opens_at": (now + datetime.timedelta(days=1)).strftime("%Y-%m-%dT%H:%M"),
        "closes_at": (now + datetime.timedelta(days=8)).strftime("%Y-%m-%dT%H:%M"),
        "visibility": "sealed",
    }
    data.update(changes)
    return {key: value for key, value in data.items() if value is not None}


def test_staff_create_a_draft_vote_on_a_doorway(scene: VotePagesScene) -> None:
    client = client_for(scene.world.staff)

    answer = client.post(url("vote_create"), _new_vote(scene))

    vote = Vote.objects.get(title="加装电梯")
    assert answer.status_code == 302
    assert answer["Location"] == url("vote_detail", vote.pk)
    assert (vote.unit_id, vote.building_id, vote.estate_id) == (scene.world.unit.pk, None, None)
    assert (vote.status, vote.visibility, vote.is_elevator) == ("draft", "sealed", True)


def test_staff_create_a_choice_between_plans(scene: VotePagesScene) -> None:
    client = client_for(scene.world.staff)
    data = _new_vote(
        scene,
        title="绿化改造方案",
        matter="item9_other_major",
        is_elevator=None,
        options_kind="plans",
        plans="方案一：保留香樟\n\n方案二：改种桂花\n",
        unit="",
        building="",
    )

    answer = client.post(url("vote_create"), data)

    vote = Vote.objects.get(title="绿化改造方案")
    assert answer.status_code == 302
    assert vote.estate_id == scene.world.estate.pk
    assert list(vote.options.values_list("label", flat=True)) == [
        "方案一：保留香樟",
        "方案二：改种桂花",
    ]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"title": ""}, "title", "This field is required."),
        ({"estate": ""}, "estate", "This field is required."),
        ({"building": ""}, "unit", "This doorway is not in the building chosen."),
        (
            {"matter": "item10_lottery"},
            "matter",
            "Select a valid choice. item10_lottery is not one of the available choices.",
        ),
        (
            {"matter": "item5_fund_use"},
            "matter",
            "Adding an elevator is an alteration of the building (第278条 item 7).",
        ),
        ({"opens_at": "tomorrow"}, "opens_at", "Enter a valid date/time."),
        ({"closes_at": "2020-01-01T00:00"}, "closes_at", "The vote must close after it opens."),
        (
            {"options_kind": "plans", "plans": "只有一个方案"},
            "plans",
            "A choice between plans needs from 2 to 20 plans.",
        ),
    ],
)
def test_the_new_vote_form_says_what_is_wrong_and_creates_nothing(
    scene: VotePagesScene, changes: dict, field: str, message: str
) -> None:
    client = client_for(scene.world.staff)

    answer = client.post(url("vote_create"), _new_vote(scene, **changes))

    assert answer.status_code == 400
    assert answer.context["form"].errors[field] == [message]
    assert not Vote.objects.filter(title="加装电梯").exists()


def test_a_vote_on_a_place_outside_ones_area_is_refused(town, scene: VotePagesScene) -> None:
    client = client_for(scene.world.outsider)

    answer = client.post(url("vote_create"), _new_vote(scene))

    assert answer.status_code == 400
    assert answer.context["form"].errors["estate"] == [
        "This estate does not exist or is outside your area."
    ]
    assert not Vote.objects.filter(title="加装电梯").exists()


def test_the_rule_preview_shows_three_quarters_for_an_elevator(scene: VotePagesScene) -> None:
    client = client_for(scene.world.staff)

    elevator = client.get(
        url("vote_rule_preview"),
        {"matter": "item7_alteration", "rule_set": "civil_code_2021", "is_elevator": "on"},
    )
    local = client.get(
        url("vote_rule_preview"),
        {
            "matter": "item7_alteration",
            "rule_set": "local_elevator_two_thirds",
            "is_elevator": "on",
        },
    )
    unknown = client.get(url("vote_rule_preview"), {"matter": "x", "rule_set": "y"})

    assert 'data-threshold="approval_heads">≥ 3/4<' in elevator.content.decode()
    assert 'data-threshold="approval_heads">≥ 2/3<' in local.content.decode()
    assert "Choose a matter and a rule set" in unknown.content.decode()


def test_the_scope_pickers_list_the_buildings_and_doorways_chosen(scene: VotePagesScene) -> None:
    client = client_for(scene.world.staff)

    answer = client.get(
        url("vote_scope_choices"),
        {"estate": scene.world.estate.pk, "building": scene.world.building.pk},
    )

    html = answer.content.decode()
    assert f'<option value="{scene.world.building.pk}" selected>3号楼</option>' in html
    assert f'<option value="{scene.world.unit.pk}">1单元</option>' in html


# --- staff: open and close ---------------------------------------------------------------------


def test_opening_a_vote_on_a_building_without_owners_is_refused(scene: VotePagesScene) -> None:
    empty = BuildingFactory(estate=scene.world.estate, cell=scene.world.cell, label="9号楼")
    DwellingFactory(building=empty, unit=None, room="101", area_m2=Decimal("90.00"))
    draft = vote_created(
        scene.world,
        building_id=empty.pk,
        estate_id=None,
        opens_at=timezone.now(),
        closes_at=timezone.now() + datetime.timedelta(days=3),
    )
    client = client_for(scene.world.staff)

    answer = client.post(url("vote_open", draft.pk), follow=True)

    draft.refresh_from_db()
    assert draft.status == VoteStatus.DRAFT
    assert not Voter.objects.filter(vote=draft).exists()
    assert [str(m) for m in answer.context["messages"]] == [
        "The registry holds no ownership data for this scope."
    ]


def test_staff_open_a_draft_and_the_roll_is_taken(scene: VotePagesScene) -> None:
    draft = vote_created(
        scene.world, opens_at=timezone.now(), closes_at=timezone.now() + datetime.timedelta(days=3)
    )
    client = client_for(scene.world.staff)

    answer = client.post(url("vote_open", draft.pk), follow=True)

    draft.refresh_from_db()
    assert draft.status == VoteStatus.OPEN
    assert [str(m) for m in answer.context["messages"]] == ["Vote opened: 4 owners on the roll."]


def test_closing_needs_the_box_ticked(scene: VotePagesScene) -> None:
    client = client_for(scene.world.staff)

    answer = client.post(url("vote_close", scene.vote.pk), follow=True)

    scene.vote.refresh_from_db()
    assert scene.vote.status == VoteStatus.OPEN
    assert [str(m) for m in answer.context["messages"]] == [
        "Tick the box to confirm that the vote closes now."
    ]


def test_closing_certifies_the_result_and_shows_it(scene: VotePagesScene) -> None:
    for account in scene.accounts:
        ballot_cast(actor=account, vote_id=scene.vote.pk, choice="yes")
    client = client_for(scene.world.staff)

    answer = client.post(url("vote_close", scene.vote.pk), {"confirm": "yes"}, follow=True)

    scene.vote.refresh_from_db()
    html = answer.content.decode()
    assert scene.vote.status == VoteStatus.CLOSED
    assert answer.redirect_chain == [(url("vote_result", scene.vote.pk), 302)]
    assert 'data-outcome="passed"' in html
    assert 'data-test="quorum_area" data-passed="1"' in html
    assert "300 / 400" in html
    assert 'data-seal="intact"' in html
    assert scene.vote.seal_hash in html


def test_closing_twice_is_refused_with_a_message(scene: VotePagesScene) -> None:
    vote_close(actor=scene.world.staff, vote_id=scene.vote.pk)
    client = client_for(scene.world.staff)

    answer = client.post(url("vote_close", scene.vote.pk), {"confirm": "yes"}, follow=True)

    assert [str(m) for m in answer.context["messages"]] == ["Only an open vote can be closed."]


# --- the board ---------------------------------------------------------------------------------


def test_the_board_alone_is_one_cheap_refresh(
    scene: VotePagesScene, django_assert_max_num_queries
) -> None:
    ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="no")
    client = client_for(scene.world.staff)
    client.get(url("vote_board", scene.vote.pk))  # the session and memberships warm up

    with django_assert_max_num_queries(8):
        answer = client.get(url("vote_board", scene.vote.pk))

    html = answer.content.decode()
    assert answer.status_code == 200
    assert "<html" not in html
    assert html.startswith('<section class="gg-card mb-3 gg-vote-board" id="gg-vote-board"')
    assert 'data-option="no"' in html
    assert 'id="gg-vote-chart-data"' in html


def test_a_sealed_vote_shows_only_the_number_of_ballots(town) -> None:
    scene = vote_pages_scene(town, visibility="sealed")
    ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes")
    client = client_for(scene.accounts[1])

    board = client.get(url("vote_board", scene.vote.pk))
    ballots = client.get(url("vote_ballots", scene.vote.pk))

    html = board.content.decode()
    assert 'data-board="sealed"' in html
    assert 'data-figure="ballots">1<' in html
    assert 'data-option="yes"' not in html
    assert [row.choice_label for row in ballots.context["rows"]] == [None]


def test_the_board_stops_polling_once_the_vote_is_closed(scene: VotePagesScene) -> None:
    vote_close(actor=scene.world.staff, vote_id=scene.vote.pk)
    client = client_for(scene.world.staff)

    answer = client.get(url("vote_board", scene.vote.pk))

    assert "hx-trigger" not in answer.content.decode()
    assert "Final count" in answer.content.decode()


# --- the owner's pages -------------------------------------------------------------------------


def test_an_owner_sees_their_open_vote_in_my_votes(scene: VotePagesScene) -> None:
    client = client_for(scene.accounts[0])

    answer = client.get(url("my_votes"))

    html = answer.content.decode()
    assert answer.status_code == 200
    assert [item["row"].vote.pk for item in answer.context["rows"]] == [scene.vote.pk]
    assert "data-can-vote" in html
    assert "gg-not-linked" not in html


def test_a_resident_without_a_registry_link_is_told_how_to_get_one(town, make_member) -> None:
    from gridgov.accounts.roles import Role

    resident = make_member(Role.RESIDENT, town.micro_a1, "unlinked")

    answer = client_for(resident).get(url("my_votes"))

    assert answer.context["rows"] == []
    assert 'id="gg-not-linked"' in answer.content.decode()


def test_an_owner_confirms_then_casts_and_sees_the_receipt(scene: VotePagesScene) -> None:
    client = client_for(scene.accounts[0])
    page = url("my_vote", scene.vote.pk)

    confirming = client.post(page, {"step": "confirm", "choice": "yes"})
    assert confirming.status_code == 200
    assert confirming.context["confirming"] is True
    assert 'data-chosen="yes"' in confirming.content.decode()
    assert not Ballot.objects.filter(vote=scene.vote).exists()

    cast = client.post(page, {"step": "cast", "choice": "yes"}, follow=True)

    ballot = Ballot.objects.get(vote=scene.vote)
    html = cast.content.decode()
    assert ballot_keys(scene.vote) == [(f"p{scene.owners[0].pk}", "yes", "online")]
    assert f'data-receipt="{ballot.receipt}"' in html
    assert f'data-copy="{ballot.receipt}"' in html
    assert "data-my-choice>Yes<" in html
    assert 'id="gg-ballot-form"' not in html


def test_an_owner_who_chooses_nothing_is_told_to_choose(scene: VotePagesScene) -> None:
    client = client_for(scene.accounts[0])

    answer = client.post(url("my_vote", scene.vote.pk), {"step": "confirm"})

    assert answer.status_code == 400
    assert answer.context["form"].errors["choice"] == ["Choose one option before you continue."]
    assert not Ballot.objects.filter(vote=scene.vote).exists()


def test_a_choice_that_is_not_an_option_is_refused(scene: VotePagesScene) -> None:
    client = client_for(scene.accounts[0])

    answer = client.post(url("my_vote", scene.vote.pk), {"step": "cast", "choice": "option:999"})

    assert answer.status_code == 400
    assert answer.context["form"].errors["choice"] == [
        "This is not one of the options of this vote."
    ]
    assert not Ballot.objects.filter(vote=scene.vote).exists()


def test_a_second_ballot_from_the_page_is_refused_and_the_first_stands(
    scene: VotePagesScene,
) -> None:
    ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes")
    client = client_for(scene.accounts[0])

    answer = client.post(url("my_vote", scene.vote.pk), {"step": "cast", "choice": "no"})

    assert answer.status_code == 400
    assert answer.context["form"].non_field_errors() == [
        "This owner has already voted online; a ballot cannot be changed."
    ]
    assert ballot_keys(scene.vote) == [(f"p{scene.owners[0].pk}", "yes", "online")]


def test_a_ballot_after_the_close_is_refused(scene: VotePagesScene) -> None:
    vote_close(actor=scene.world.staff, vote_id=scene.vote.pk)
    client = client_for(scene.accounts[0])

    page = client.get(url("my_vote", scene.vote.pk))
    answer = client.post(url("my_vote", scene.vote.pk), {"step": "cast", "choice": "yes"})

    assert page.context["state"].refusal == "The vote is closed."
    assert 'id="gg-vote-result-link"' in page.content.decode()
    assert answer.status_code == 400
    assert answer.context["form"].non_field_errors() == [
        "The vote is closed; no more ballots are accepted."
    ]
    assert not Ballot.objects.filter(vote=scene.vote).exists()


def test_a_resident_who_owns_nothing_here_gets_404(scene: VotePagesScene) -> None:
    client = client_for(scene.stranger)

    page = client.get(url("my_vote", scene.vote.pk))
    cast = client.post(url("my_vote", scene.vote.pk), {"step": "cast", "choice": "yes"})
    ballots = client.get(url("vote_ballots", scene.vote.pk))

    assert (page.status_code, cast.status_code, ballots.status_code) == (404, 404, 404)
    assert not Ballot.objects.filter(vote=scene.vote).exists()


# --- staff: paper ballots, proxies, co-owners --------------------------------------------------


def test_staff_record_a_paper_ballot_with_its_photo(scene: VotePagesScene) -> None:
    client = client_for(scene.world.staff)
    voter = voter_of(scene, 1)

    answer = client.post(
        url("vote_paper_ballot", scene.vote.pk),
        {"paper-voter": voter.pk, "paper-choice": "no", "paper-photo": photo()},
    )

    ballot = Ballot.objects.get(vote=scene.vote)
    assert answer.status_code == 302
    assert ballot_keys(scene.vote) == [(voter.key, "no", "paper")]
    assert ballot.paper_photo.name.endswith(".png")
    assert ballot.cast_by == scene.world.staff


@pytest.mark.parametrize(
    ("upload", "message"),
    [
        (
            SimpleUploadedFile("ballot.png", b"not an image", "image/png"),
            "The photo must be a JPEG, PNG or WebP image.",
        ),
        (SimpleUploadedFile("ballot.png", b"", "image/png"), "The submitted file is empty."),
        (
            SimpleUploadedFile("ballot.png", PNG + b"\0" * 200, "image/png"),
            "The file is larger than 100\xa0bytes.",
        ),
    ],
)
def test_a_paper_ballot_with_a_bad_photo_is_refused(
    scene: VotePagesScene, settings, upload, message: str
) -> None:
    settings.GRIDGOV_UPLOAD_MAX_BYTES = 100
    client = client_for(scene.world.staff)

    answer = client.post(
        url("vote_paper_ballot", scene.vote.pk),
        {"paper-voter": voter_of(scene, 1).pk, "paper-choice": "yes", "paper-photo": upload},
    )

    assert answer.status_code == 400
    assert answer.context["paper_form"].errors["photo"] == [message]
    assert not Ballot.objects.filter(vote=scene.vote).exists()


def test_a_paper_ballot_without_a_photo_or_an_owner_is_refused(scene: VotePagesScene) -> None:
    client = client_for(scene.world.staff)

    answer = client.post(
        url("vote_paper_ballot", scene.vote.pk), {"paper-voter": "999999", "paper-choice": "yes"}
    )

    errors = answer.context["paper_form"].errors
    assert answer.status_code == 400
    assert errors["voter"] == ["This owner is not on the roll of this vote."]
    assert errors["photo"] == ["This field is required."]
    assert not Ballot.objects.filter(vote=scene.vote).exists()


def test_a_paper_ballot_for_an_owner_who_voted_online_is_refused(scene: VotePagesScene) -> None:
    ballot_cast(actor=scene.accounts[1], vote_id=scene.vote.pk, choice="yes")
    client = client_for(scene.world.staff)
    voter = voter_of(scene, 1)

    answer = client.post(
        url("vote_paper_ballot", scene.vote.pk),
        {"paper-voter": voter.pk, "paper-choice": "no", "paper-photo": photo()},
    )

    assert answer.status_code == 400
    assert answer.context["paper_form"].non_field_errors() == [
        "This owner has already voted online; a ballot cannot be changed."
    ]
    assert ballot_keys(scene.vote) == [(voter.key, "yes", "online")]


def test_staff_record_a_proxy_and_the_proxy_signs_a_paper_ballot(scene: VotePagesScene) -> None:
    client = client_for(scene.world.staff)
    voter = voter_of(scene, 2)

    recorded = client.post(
        url("vote_proxy", scene.vote.pk),
        {
            "proxy-voter": voter.pk,
            "proxy-proxy_name": "王五",
            "proxy-reference": "委托书2026-001",
            "proxy-document": SimpleUploadedFile("auth.pdf", b"%PDF-1.4 signed", "application/pdf"),
        },
    )
    proxy = ProxyAuthorisation.objects.get(vote=scene.vote)
    page = client.get(url("vote_record", scene.vote.pk))
    paper = client.post(
        url("vote_paper_ballot", scene.vote.pk),
        {
            "paper-voter": voter.pk,
            "paper-choice": "abstain",
            "paper-proxy": proxy.pk,
            "paper-photo": photo(),
        },
    )

    assert recorded.status_code == 302
    assert (proxy.voter_id, proxy.proxy_name, proxy.reference) == (
        voter.pk,
        "王五",
        "委托书2026-001",
    )
    assert "委托书2026-001" in page.content.decode()
    assert paper.status_code == 302
    assert ballot_keys(scene.vote) == [(voter.key, "abstain", "proxy")]


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"proxy-document": None}, "document", "This field is required."),
        (
            {"proxy-document": SimpleUploadedFile("auth.pdf", b"plain text", "application/pdf")},
            "document",
            "The file must be a PDF or a JPEG, PNG or WebP image.",
        ),
        ({"proxy-proxy_name": ""}, "proxy_name", "Name the proxy: an owner on the roll or a name."),
        ({"proxy-reference": ""}, "reference", "This field is required."),
    ],
)
def test_a_proxy_without_a_proper_authorisation_is_refused(
    scene: VotePagesScene, changes: dict, field: str, message: str
) -> None:
    client = client_for(scene.world.staff)
    data = {
        "proxy-voter": voter_of(scene, 2).pk,
        "proxy-proxy_name": "王五",
        "proxy-reference": "委托书2026-001",
        "proxy-document": SimpleUploadedFile("auth.pdf", b"%PDF-1.4 signed", "application/pdf"),
    }
    data.update(changes)

    answer = client.post(
        url("vote_proxy", scene.vote.pk), {k: v for k, v in data.items() if v is not None}
    )

    assert answer.status_code == 400
    assert answer.context["proxy_form"].errors[field] == [message]
    assert not ProxyAuthorisation.objects.exists()


def test_staff_record_which_co_owner_votes(scene: VotePagesScene) -> None:
    client = client_for(scene.world.staff)
    voter = Voter.objects.get(vote=scene.vote, members__person=scene.co_owners[0])
    chosen = scene.co_owners[1]

    page = client.get(url("vote_record", scene.vote.pk))
    answer = client.post(
        url("vote_designate", scene.vote.pk), {"designate-pair": f"{voter.pk}:{chosen.pk}"}
    )
    refused = client.post(
        url("vote_designate", scene.vote.pk),
        {"designate-pair": f"{voter.pk}:{scene.owners[0].pk}"},
    )

    voter.refresh_from_db()
    assert f'value="{voter.pk}:{chosen.pk}"' in page.content.decode()
    assert answer.status_code == 302
    assert voter.designated_person_id == chosen.pk
    assert refused.status_code == 400
    assert refused.context["designate_form"].errors["pair"] == [
        "Choose one of the co-owners listed."
    ]


def test_the_record_page_shows_the_roll_masked_and_finds_a_room(scene: VotePagesScene) -> None:
    client = client_for(scene.world.staff)

    everything = client.get(url("vote_record", scene.vote.pk))
    one_room = client.get(url("vote_record", scene.vote.pk), {"q": "102"})

    html = everything.content.decode()
    assert everything.context["roll_total"] == 4
    assert scene.owners[0].name not in html
    assert scene.owners[0].name[0] + "*" in html
    assert [row.rooms for row in one_room.context["roll"]] == [voter_of(scene, 1).label]


def test_a_grid_worker_may_not_record_paper_ballots(scene: VotePagesScene) -> None:
    client = client_for(scene.world.viewer)

    page = client.get(url("vote_record", scene.vote.pk))
    paper = client.post(
        url("vote_paper_ballot", scene.vote.pk),
        {"paper-voter": voter_of(scene, 1).pk, "paper-choice": "yes", "paper-photo": photo()},
    )

    assert (page.status_code, paper.status_code) == (403, 403)
    assert not Ballot.objects.filter(vote=scene.vote).exists()


# --- ballot list, result, receipt --------------------------------------------------------------


def test_the_ballot_list_is_open_to_owners_with_names_masked(scene: VotePagesScene) -> None:
    ballot = ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes")
    client = client_for(scene.accounts[1])

    answer = client.get(url("vote_ballots", scene.vote.pk))

    html = answer.content.decode()
    assert answer.status_code == 200
    assert scene.owners[0].name not in html
    assert f"…{ballot.receipt[-4:]}" in html
    assert [(row.choice_label, row.channel_label) for row in answer.context["rows"]] == [
        ("Yes", "Online")
    ]


def test_the_result_waits_for_the_close(scene: VotePagesScene) -> None:
    client = client_for(scene.accounts[0])

    page = client.get(url("vote_result", scene.vote.pk))
    pdf = client.get(url("vote_result_pdf", scene.vote.pk))

    assert page.status_code == 404
    assert 'id="gg-no-result"' in page.content.decode()
    assert pdf.status_code == 404
    assert not AuditEntry.objects.filter(action="participation.vote_result_export").exists()


def test_an_owner_downloads_the_certified_result_and_the_export_is_audited(
    scene: VotePagesScene,
) -> None:
    ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes")
    vote_close(actor=scene.world.staff, vote_id=scene.vote.pk)
    client = client_for(scene.accounts[0])

    pdf = client.get(url("vote_result_pdf", scene.vote.pk))
    xlsx = client.get(url("vote_result_xlsx", scene.vote.pk))

    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert f'filename="vote-{scene.vote.pk}-result-' in pdf["Content-Disposition"]
    assert xlsx["Content-Type"].startswith("application/vnd.openxmlformats")
    assert list(
        AuditEntry.objects.filter(action="participation.vote_result_export")
        .order_by("id")
        .values_list("actor_label", "changes__format")
    ) == [("owner-1", "pdf"), ("owner-1", "xlsx")]


@pytest.mark.parametrize(
    ("receipt", "expected"),
    [
        ("own", "This ballot is recorded; it is counted when the vote closes."),
        ("AAAA BBBB CCCC DDDD", "No ballot of this vote has this receipt"),
    ],
)
def test_an_owner_checks_a_receipt(scene: VotePagesScene, receipt: str, expected: str) -> None:
    ballot = ballot_cast(actor=scene.accounts[0], vote_id=scene.vote.pk, choice="yes")
    code = ballot.receipt.lower() if receipt == "own" else receipt
    client = client_for(scene.accounts[0])

    answer = client.post(url("vote_receipt", scene.vote.pk), {"receipt": code})

    assert answer.status_code == 200
    assert expected in answer.content.decode()


def test_an_empty_receipt_is_refused_with_a_message(scene: VotePagesScene) -> None:
    client = client_for(scene.accounts[0])

    answer = client.post(url("vote_receipt", scene.vote.pk), {"receipt": "   "})

    assert answer.status_code == 400
    assert answer.context["form"].errors["receipt"] == ["Enter the receipt code you were given."]


def test_a_recorded_proxy_votes_online_for_the_owner_from_the_owner_page(
    scene: VotePagesScene,
) -> None:
    from gridgov.participation.services.votes import proxy_record

    represented = voter_of(scene, 2)
    proxy_record(
        actor=scene.world.staff,
        vote_id=scene.vote.pk,
        voter_id=represented.pk,
        reference="委托书-3",
        document=SimpleUploadedFile("auth.pdf", b"%PDF-1.4", "application/pdf"),
        proxy_person_id=scene.owners[0].pk,
    )
    client = client_for(scene.accounts[0])

    listed = client.get(url("my_votes"))
    page = client.get(url("my_vote", scene.vote.pk), {"voter": represented.pk})
    cast = client.post(
        url("my_vote", scene.vote.pk),
        {"step": "cast", "choice": "no", "voter": represented.pk},
        follow=True,
    )

    assert f'?voter={represented.pk}" data-vote="{scene.vote.pk}"' in listed.content.decode()
    assert 'id="gg-as-proxy"' in page.content.decode()
    assert cast.redirect_chain == [(f"{url('my_vote', scene.vote.pk)}?voter={represented.pk}", 302)]
    assert ballot_keys(scene.vote) == [(represented.key, "no", "proxy")]
    # the proxy's own ballot is still to cast
    assert client.get(url("my_vote", scene.vote.pk)).context["state"].can_cast is True


def test_someone_who_is_not_the_proxy_cannot_vote_for_another_owner(
    scene: VotePagesScene,
) -> None:
    client = client_for(scene.accounts[0])

    page = client.get(url("my_vote", scene.vote.pk), {"voter": voter_of(scene, 2).pk})
    cast = client.post(
        url("my_vote", scene.vote.pk),
        {"step": "cast", "choice": "no", "voter": voter_of(scene, 2).pk},
    )

    assert page.context["state"].refusal == "You are not an owner on this vote's roll."
    assert cast.status_code == 400
    assert cast.context["form"].non_field_errors() == [
        "No recorded authorisation lets you vote for this owner."
    ]
    assert not Ballot.objects.filter(vote=scene.vote).exists()
