"""Staff work phones: set by those who manage the user, stored encrypted, shown masked."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from gridgov.accounts.errors import AccessDeniedError
from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.accounts.services.work_phones import WORK_PHONE_CONTEXT, user_set_work_phone
from gridgov.accounts.sessions import TWO_FACTOR_VERIFIED_AT
from gridgov.core.crypto import decrypt_text
from gridgov.core.models import AuditEntry

pytestmark = pytest.mark.django_db


@pytest.fixture
def patrol(town, make_member) -> User:
    return make_member(Role.GRID_WORKER, town.grid_a, "patrol")


def _sign_in(client, user: User) -> None:
    """A session past two-factor verification, as after a real administrator's login."""
    client.force_login(user)
    session = client.session
    session[TWO_FACTOR_VERIFIED_AT] = timezone.now().timestamp()
    session.save()


def _stored(user: User) -> tuple[str, str, str]:
    user.refresh_from_db()
    return (user.work_phone_encrypted, user.work_phone_prefix, user.work_phone_last4)


def test_an_administrator_over_the_area_sets_a_work_phone_encrypted_and_audited(
    town, patrol, make_member
):
    admin = make_member(Role.PLATFORM_ADMIN, town.community_a, "community_admin")

    user_set_work_phone(actor=admin, user=patrol, phone="+86 139-1234-5678")

    encrypted, prefix, last4 = _stored(patrol)
    assert decrypt_text(encrypted, associated_data=WORK_PHONE_CONTEXT) == "13912345678"
    assert "13912345678" not in encrypted
    assert (prefix, last4, patrol.work_phone_masked) == ("139", "5678", "139****5678")
    entry = AuditEntry.objects.get(action="accounts.work_phone.changed")
    assert (entry.actor_id, entry.changes) == (admin.pk, {"work_phone": "set"})
    assert "13912345678" not in str(entry.changes) + entry.object_label


def test_an_administrator_of_another_area_cannot_set_a_work_phone(town, patrol, make_member):
    other_admin = make_member(Role.PLATFORM_ADMIN, town.community_b, "admin_b")

    with pytest.raises(AccessDeniedError):
        user_set_work_phone(actor=other_admin, user=patrol, phone="13912345678")

    assert _stored(patrol) == ("", "", "")


def test_a_grid_worker_cannot_set_a_colleagues_work_phone(town, patrol, make_member):
    colleague = make_member(Role.GRID_WORKER, town.grid_a, "colleague")

    with pytest.raises(AccessDeniedError):
        user_set_work_phone(actor=colleague, user=patrol, phone="13912345678")

    assert _stored(patrol) == ("", "", "")


def test_a_work_phone_must_be_a_mainland_mobile(patrol):
    with pytest.raises(ValidationError) as refused:
        user_set_work_phone(actor=None, user=patrol, phone="021-64001234")

    assert refused.value.message_dict["work_phone"] == ["请输入 11 位手机号（用于接收告警短信）。"]
    assert _stored(patrol) == ("", "", "")


def test_an_empty_phone_removes_the_work_phone(patrol):
    user_set_work_phone(actor=None, user=patrol, phone="13912345678")

    user_set_work_phone(actor=None, user=patrol, phone="")

    assert _stored(patrol) == ("", "", "")
    assert list(
        AuditEntry.objects.filter(action="accounts.work_phone.changed").values_list(
            "changes", flat=True
        )
    ) == [{"work_phone": "set"}, {"work_phone": "removed"}]


def test_the_admin_sets_the_work_phone_and_shows_it_masked_only(client, town, patrol, make_member):
    admin = make_member(Role.PLATFORM_ADMIN, town.town, "town_admin")
    _sign_in(client, admin)
    url = reverse("admin:accounts_user_change", args=[patrol.pk])
    membership = patrol.memberships.get()

    response = client.post(
        url,
        {
            "username": patrol.username,
            "display_name": patrol.display_name,
            "is_active": "on",
            "work_phone": "139 1234 5678",
            "memberships-TOTAL_FORMS": "1",
            "memberships-INITIAL_FORMS": "1",
            "memberships-MIN_NUM_FORMS": "0",
            "memberships-MAX_NUM_FORMS": "1000",
            "memberships-0-id": str(membership.pk),
            "memberships-0-user": str(patrol.pk),
            "memberships-0-cell": str(membership.cell_id),
            "memberships-0-role": membership.role,
            "memberships-0-is_active": "on",
        },
    )
    change_page = client.get(url).content.decode()
    changelist = client.get(reverse("admin:accounts_user_changelist")).content.decode()

    assert response.status_code == 302
    assert User.objects.get(pk=patrol.pk).work_phone_masked == "139****5678"
    assert "139****5678" in change_page
    assert "139****5678" in changelist
    assert "13912345678" not in change_page + changelist
