"""Intake from every channel: location, routing, required fields, questions, uploads, repeats."""

from __future__ import annotations

import pytest

from gridgov.cases.models import Attachment, Case, Category, Channel, Visit
from gridgov.cases.services import (
    MissingFieldError,
    NotAllowedError,
    NotInAnyCellError,
    UnknownCategoryError,
    Upload,
    UploadRejectedError,
    case_report,
    case_report_from_system,
    catalogue_install_defaults,
    category_for_code,
    sniff,
    visit_record,
)
from gridgov.cases.tests.helpers_engine import (  # noqa: F401
    JPEG,
    PNG,
    POINT_A1,
    POINT_B2,
    World,
    local,
    report,
    world_fixture,
)
from gridgov.core.models import Notification

pytestmark = pytest.mark.django_db

T0 = local(2025, 9, 22, 10, 0)

WEBP = b"RIFF\x24\x00\x00\x00WEBPVP8 " + b"\x00" * 32
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + b"\x00" * 32
WEBM = b"\x1a\x45\xdf\xa3" + b"\x00" * 32
OGG = b"OggS" + b"\x00" * 32
M4A = b"\x00\x00\x00\x20ftypM4A " + b"\x00" * 32
MP4 = b"\x00\x00\x00\x20ftypisom" + b"\x00" * 32
MP3 = b"ID3\x04\x00" + b"\x00" * 32
MP3_FRAME = b"\xff\xfb\x90\x00" + b"\x00" * 32


def test_catalogue_defaults_install_once(world: World) -> None:
    assert catalogue_install_defaults() == 0
    light = category_for_code("street-light")
    assert light.department == world.urban
    assert light.parent is not None
    with pytest.raises(UnknownCategoryError):
        category_for_code("construction")  # a group with categories under it
    with pytest.raises(UnknownCategoryError):
        category_for_code("no-such-thing")


def test_an_edited_category_is_filed_against_at_once(world: World) -> None:
    light = category_for_code("street-light")
    light_row = Category.objects.get(pk=light.pk)
    light_row.is_active = False
    light_row.save()  # this process's copy of the catalogue is cleared by the save
    with pytest.raises(UnknownCategoryError):
        category_for_code("street-light")
    light_row.is_active = True
    light_row.save()
    assert category_for_code("street-light").pk == light.pk
    for child in Category.objects.filter(parent__code="construction"):
        child.is_active = False
        child.save()
    assert category_for_code("construction").code == "construction"  # a group left empty


@pytest.mark.parametrize(
    ("data", "kind", "content_type"),
    [
        (PNG, "photo", "image/png"),
        (JPEG, "photo", "image/jpeg"),
        (WEBP, "photo", "image/webp"),
        (WAV, "voice", "audio/wav"),
        (WEBM, "voice", "audio/webm"),
        (OGG, "voice", "audio/ogg"),
        (M4A, "voice", "audio/mp4"),
        (MP4, "voice", "audio/mp4"),
        (MP3, "voice", "audio/mpeg"),
        (MP3_FRAME, "voice", "audio/mpeg"),
    ],
)
def test_uploads_are_recognised_by_their_content(data: bytes, kind: str, content_type: str) -> None:
    found = sniff(data)
    assert found is not None
    assert found[:2] == (kind, content_type)


def test_every_channel_lands_in_the_right_cell_and_queue(world: World) -> None:
    resident = report(world, now=T0)
    assert (resident.channel, resident.reporter) == (Channel.RESIDENT, world.resident)
    hotline = case_report(
        actor=world.operator,
        channel=Channel.HOTLINE,
        category_code="fire-hazard",
        description="来电：楼道里电瓶车充电",
        address="飞碟苑12号楼",
        reporter_name="王女士",
        reporter_phone="021-64321234",
        now=T0,
    )
    assert hotline.building == world.building
    assert hotline.cell == world.town.micro_a1
    assert hotline.department == world.fire
    assert hotline.reporter is None
    assert hotline.reporter_phone_last4 == "1234"
    assert hotline.description.startswith("来电")
    system = case_report_from_system(
        source="smoke-sensor",
        source_ref="alarm-77",
        category_code="smoke-alarm",
        description="烟感报警",
        **POINT_B2,
        now=T0,
    )
    assert system.cell == world.town.micro_b2
    assert system.channel == Channel.SYSTEM
    again = case_report_from_system(
        source="smoke-sensor",
        source_ref="alarm-77",
        category_code="smoke-alarm",
        description="烟感报警",
        **POINT_B2,
    )
    assert again.pk == system.pk
    assert Case.objects.filter(channel=Channel.SYSTEM).count() == 1
    numbers = sorted(Case.objects.values_list("number", flat=True))
    assert numbers == ["20250922000001", "20250922000002", "20250922000003"]


def test_visit_is_kept_with_or_without_a_case(world: World) -> None:
    plain = visit_record(
        actor=world.gridworker,
        building_id=world.building.pk,
        note="走访正常",
        lat=31.1,
        lng=121.05,
        accuracy_m=8,
        uploads=[Upload("voice.webm", "audio/webm", WEBM)],
        now=T0,
    )
    assert plain.case is None
    assert plain.attachments.get().kind == Attachment.Kind.VOICE
    visit = visit_record(
        actor=world.gridworker,
        building_id=world.building.pk,
        note="楼道堆物严重",
        uploads=[Upload("p.jpg", "image/jpeg", JPEG)],
        open_case_category="refuse",
        now=T0,
    )
    assert visit.case is not None
    assert visit.case.channel == Channel.VISIT
    assert visit.case.building == world.building
    assert visit.case.attachments.get().visit == visit
    assert Visit.objects.count() == 2
    with pytest.raises(NotAllowedError):
        visit_record(actor=world.resident, building_id=world.building.pk, note="x", now=T0)


def test_double_submitted_form_is_one_case(world: World) -> None:
    first = report(world, submission_key="form-123", now=T0)
    second = report(world, submission_key="form-123", now=T0)
    assert first.pk == second.pk
    assert Case.objects.count() == 1


@pytest.mark.parametrize(
    ("kwargs", "error", "code"),
    [
        ({"lat": 30.0, "lng": 120.0}, NotInAnyCellError, "not_in_any_cell"),
        ({"lat": None, "lng": None}, MissingFieldError, "location"),
        ({"lat": None, "lng": None, "address": "火星基地"}, NotInAnyCellError, "address_not_found"),
        ({"lat": 99.0, "lng": 121.0}, NotInAnyCellError, "bad_point"),
        ({"category_code": "unknown"}, UnknownCategoryError, "unknown_category"),
        ({"description": "  "}, MissingFieldError, "description"),
        ({"reporter_phone": "12"}, MissingFieldError, "reporter_phone"),
        (
            {"uploads": [Upload("a.png", "image/png", b"GIF89a" + b"\x00" * 20)]},
            UploadRejectedError,
            "file_type",
        ),
        ({"uploads": [Upload("a.png", "image/png", b"")]}, UploadRejectedError, "empty_file"),
        (
            {"uploads": [Upload("x.exe", "image/png", b"MZ" + b"\x00" * 50)]},
            UploadRejectedError,
            "file_type",
        ),
        ({"category_code": "road-damage"}, MissingFieldError, "attribute"),
        (
            {"category_code": "road-damage", "attributes": {"danger": "maybe"}},
            MissingFieldError,
            "attribute",
        ),
        (
            {"category_code": "housing-repair", "attributes": {"floor": "three"}},
            MissingFieldError,
            "attribute",
        ),
    ],
)
def test_bad_input_is_refused_and_nothing_is_written(
    world: World, kwargs: dict[str, object], error: type[Exception], code: str
) -> None:
    with pytest.raises(error) as refused:
        report(world, now=T0, **kwargs)
    assert refused.value.code == code  # type: ignore[attr-defined]
    assert Case.objects.count() == 0
    assert Attachment.objects.count() == 0
    assert not Notification.objects.exists()


def test_oversized_upload_is_refused(world: World, settings) -> None:
    settings.GRIDGOV_UPLOAD_MAX_BYTES = 100
    with pytest.raises(UploadRejectedError) as refused:
        report(world, uploads=[Upload("big.png", "image/png", PNG + b"\x00" * 200)], now=T0)
    assert refused.value.code == "file_too_large"
    assert Case.objects.count() == 0


def test_answers_are_checked_and_kept(world: World) -> None:
    case = report(
        world,
        category="road-damage",
        attributes={"danger": "yes", "unknown": "ignored"},
        now=T0,
    )
    assert case.attributes == {"danger": "yes"}
    repair = report(world, category="housing-repair", attributes={"floor": "3"}, now=T0)
    assert repair.attributes == {"floor": 3}


def test_channel_permissions(world: World) -> None:
    with pytest.raises(NotAllowedError):
        case_report(
            actor=world.resident,
            channel=Channel.HOTLINE,
            category_code="street-light",
            description="x",
            reporter_phone="13812345678",
            **POINT_A1,
        )
    with pytest.raises(NotAllowedError):
        case_report(
            actor=world.handler,
            channel=Channel.RESIDENT,
            category_code="street-light",
            description="x",
            **POINT_A1,
        )
    with pytest.raises(MissingFieldError):
        case_report(
            actor=world.operator,
            channel=Channel.HOTLINE,
            category_code="street-light",
            description="来电",
            **POINT_A1,
        )  # the callback number is required on the hotline
    with pytest.raises(MissingFieldError):
        case_report(
            actor=None, channel="pigeon", category_code="street-light", description="x", **POINT_A1
        )


def test_property_matter_in_an_estate_goes_to_its_company(world: World) -> None:
    case = report(world, category="property-leak", building_id=world.building.pk, now=T0)
    assert case.property_company == world.company
    assert case.department == world.housing
    outside = report(world, category="property-leak", **POINT_B2, now=T0)
    assert outside.property_company is None
    assert outside.estate is None


def test_a_days_numbers_continue_after_cases_written_without_the_counter(world: World) -> None:
    first = report(world, now=local(2025, 9, 23, 9, 0))
    assert first.number == "20250923000001"
    # Cases loaded in bulk (the demo's history, a migration) carry numbers the counter never
    # handed out; the first report of such a day continues after the highest of them.
    Case.objects.filter(pk=first.pk).update(number="20250924000041")
    later = report(world, now=local(2025, 9, 24, 9, 0))
    assert later.number == "20250924000042"
    assert report(world, now=local(2025, 9, 24, 9, 5)).number == "20250924000043"
    assert report(world, now=local(2025, 9, 23, 18, 0)).number == "20250923000002"
