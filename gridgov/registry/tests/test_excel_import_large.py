from __future__ import annotations

import datetime

import pytest
from django.core.management import call_command

from gridgov.accounts.roles import Role
from gridgov.registry.models import ImportJob, Person, PersonTag
from gridgov.registry.tests.helpers_excel import (
    check_and_import,
    media,  # noqa: F401
    people_xlsx,
    person_row,
)

pytestmark = pytest.mark.usefixtures("media")
ROWS = 3000


@pytest.fixture
def staff_a(town, make_member):
    return make_member(Role.COMMUNITY_STAFF, town.grid_a, "staff_a")


def test_three_thousand_people_are_imported_in_batches_with_rule_tags(town, staff_a):
    # given every 10th person born in 1930 (高龄), the others in 1985
    rows = []
    for n in range(1, ROWS + 1):
        born = datetime.date(1930, 1, 2) if n % 10 == 0 else datetime.date(1985, 3, 4)
        rows.append(person_row(n, 证件号码=_unique_id(n, born)))
    # when
    job = check_and_import(staff_a, ImportJob.Kind.PEOPLE, people_xlsx(rows), town.grid_a.code)
    # then
    assert (job.status, job.created_count, job.processed_rows) == (
        ImportJob.Status.DONE,
        ROWS,
        ROWS,
    )
    assert Person.objects.count() == ROWS
    assert PersonTag.objects.filter(tag__code="advanced-age").count() == ROWS // 10


def _unique_id(n: int, born: datetime.date) -> str:
    from gridgov.registry.tests.factories import resident_id

    # 500 order codes per birth date and sex: spread people over days to keep numbers unique.
    day = born + datetime.timedelta(days=n // 1000)
    return resident_id(day, sequence=n % 500, sex="M" if (n // 500) % 2 else "F")


def test_the_command_checks_then_imports_and_prints_progress(town, staff_a, tmp_path, capsys):
    path = tmp_path / "people.xlsx"
    path.write_bytes(people_xlsx([person_row(n) for n in range(1, 4)]))

    call_command(
        "import_registry",
        str(path),
        "--kind",
        "people",
        "--cell",
        town.grid_a.code,
        "--as",
        "staff_a",
        "--commit",
    )

    out = capsys.readouterr().out
    assert "3/3" in out
    assert Person.objects.count() == 3


def test_the_command_without_commit_writes_nothing(town, staff_a, tmp_path, capsys):
    path = tmp_path / "people.xlsx"
    path.write_bytes(people_xlsx([person_row(n) for n in range(1, 4)]))

    call_command(
        "import_registry",
        str(path),
        "--kind",
        "people",
        "--cell",
        town.grid_a.code,
        "--as",
        "staff_a",
    )

    assert Person.objects.count() == 0
    assert ImportJob.objects.get().status == ImportJob.Status.VALIDATED
