"""Demo phones: owners can link their account by SMS code; grid workers get a work phone."""

from __future__ import annotations

import datetime
import random

import pytest

from gridgov.accounts.models import User
from gridgov.accounts.roles import Role
from gridgov.accounts.services.work_phones import WORK_PHONE_CONTEXT
from gridgov.core.crypto import decrypt_text
from gridgov.demo.housing_plan import _Planner
from gridgov.demo.plan import plan_cells
from gridgov.demo.services import demo_town_generate


def test_an_owner_without_a_phone_gets_one_so_they_can_link_their_account():
    planner = _Planner(plan_cells("small", 5), datetime.date(2026, 12, 4), "small")
    rng = random.Random(1)
    owner = planner.person(rng, age=50, sex="M", migrant=False, cell="x", hukou="", phone="")
    tenant = planner.person(rng, age=30, sex="F", migrant=False, cell="x", hukou="", phone="")

    planner.own(1, [owner], datetime.date(2020, 1, 1))

    assert owner["phone"] == f"139{owner['id'] * 7_919 % 100_000_000:08d}"
    assert tenant["phone"] == ""


@pytest.mark.django_db
def test_demo_grid_workers_have_an_encrypted_work_phone_and_others_none():
    demo_town_generate(profile="small", seed=5)

    workers = User.objects.filter(memberships__role=Role.GRID_WORKER).distinct()
    others = User.objects.exclude(memberships__role=Role.GRID_WORKER)
    assert workers.exists()
    for worker in workers:
        phone = decrypt_text(worker.work_phone_encrypted, associated_data=WORK_PHONE_CONTEXT)
        assert phone.startswith("139")
        assert len(phone) == 11
        assert worker.work_phone_masked == f"139****{phone[-4:]}"
    assert not others.exclude(work_phone_encrypted="").exists()
