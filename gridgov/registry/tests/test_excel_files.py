from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from gridgov.accounts.roles import Role
from gridgov.registry.excel.columns import PLACES_COLUMNS, columns_for
from gridgov.registry.excel.templates import template_xlsx
from gridgov.registry.models import ImportJob, Person
from gridgov.registry.tests.helpers_excel import (
    PEOPLE_HEADERS,
    check,
    check_and_import,
    media,  # noqa: F401
    people_xlsx,
    person_row,
    xlsx,
    zh,
)

pytestmark = pytest.mark.usefixtures("media")
PEOPLE = ImportJob.Kind.PEOPLE


@pytest.fixture
def staff_a(town, make_member):
    return make_member(Role.COMMUNITY_STAFF, town.grid_a, "staff_a")


@pytest.mark.parametrize("kind", ImportJob.Kind.values)
def test_each_template_opens_with_the_template_headers_and_instructions(kind):
    workbook = load_workbook(io.BytesIO(template_xlsx(kind)))

    data, instructions = workbook.worksheets
    headers = [cell.value for cell in data[1]]
    assert headers == [column.header for column in columns_for(kind)]
    listed = [row[0] for row in instructions.iter_rows(values_only=True)]
    assert all(column.header in listed for column in columns_for(kind))


def test_the_people_template_offers_drop_down_lists_and_text_identifier_columns():
    data = load_workbook(io.BytesIO(template_xlsx(PEOPLE))).worksheets[0]

    formulas = {validation.formula1 for validation in data.data_validations.dataValidation}
    assert '"男,女"' in formulas
    assert '"是,否"' in formulas
    assert data.cell(row=2, column=PEOPLE_HEADERS.index("证件号码") + 1).number_format == "@"


def test_an_empty_template_is_refused_as_having_no_rows(town, staff_a):
    job = check(staff_a, PEOPLE, template_xlsx(PEOPLE), town.grid_a.code)

    assert job.status == ImportJob.Status.FAILED
    assert job.message == zh("The sheet has column names but no rows to import.")


def test_wrong_columns_are_named_in_one_error_and_nothing_is_written(town, staff_a):
    headers = [h for h in PEOPLE_HEADERS if h != "证件号码"] + ["备注"]
    content = xlsx(headers, [["张三"] + [""] * (len(headers) - 1)])

    job = check(staff_a, PEOPLE, content, town.grid_a.code)

    assert job.status == ImportJob.Status.FAILED
    assert "证件号码" in job.message
    assert "备注" in job.message
    assert Person.objects.count() == 0


def test_a_places_sheet_uploaded_as_people_is_refused_by_its_headers(town, staff_a):
    content = xlsx([c.header for c in PLACES_COLUMNS], [["飞碟苑", "", "12号楼", "", "101"]])

    job = check(staff_a, PEOPLE, content, town.grid_a.code)

    assert job.status == ImportJob.Status.FAILED
    assert "姓名" in job.message


def test_merged_cells_are_refused_with_their_ranges(town, staff_a):
    content = xlsx(PEOPLE_HEADERS, [person_row(1), person_row(2)], merge="A2:A3")

    job = check(staff_a, PEOPLE, content, town.grid_a.code)

    assert job.status == ImportJob.Status.FAILED
    assert "A2:A3" in job.message
    assert Person.objects.count() == 0


@pytest.mark.parametrize(
    "content",
    [b"this is not a spreadsheet", b"PK\x03\x04broken zip", people_xlsx([])[:-200]],
    ids=["text", "broken-zip-header", "truncated-xlsx"],
)
def test_a_file_that_is_not_a_readable_xlsx_is_refused(town, staff_a, content):
    job = check(staff_a, PEOPLE, content, town.grid_a.code)

    assert job.status == ImportJob.Status.FAILED
    assert job.message == zh(
        "The file is not an Excel workbook (.xlsx) or it is damaged and cannot be opened. "
        "Save it again as an Excel workbook (.xlsx) and upload it again."
    )
    assert Person.objects.count() == 0


def test_more_rows_than_the_limit_are_refused_before_any_row_is_checked(town, staff_a, settings):
    settings.GRIDGOV_IMPORT_MAX_ROWS = 3
    content = people_xlsx([person_row(n) for n in range(1, 5)])

    job = check(staff_a, PEOPLE, content, town.grid_a.code)

    assert job.status == ImportJob.Status.FAILED
    assert "4" in job.message
    assert "3" in job.message
    assert (job.processed_rows, Person.objects.count()) == (0, 0)


def test_a_corrected_error_report_can_be_uploaded_again(town, staff_a):
    # given a check whose report lists one bad row
    content = people_xlsx([person_row(1), person_row(2, 手机号码="12345")])
    first = check(staff_a, PEOPLE, content, town.grid_a.code)
    with first.error_report.open("rb") as handle:
        workbook = load_workbook(io.BytesIO(handle.read()))
    sheet = workbook.active
    sheet.cell(row=2, column=PEOPLE_HEADERS.index("手机号码") + 1, value="13800000002")
    buffer = io.BytesIO()
    workbook.save(buffer)
    # when the corrected report is imported
    job = check_and_import(staff_a, PEOPLE, buffer.getvalue(), town.grid_a.code)
    # then its one row is imported
    assert (job.status, job.created_count) == (ImportJob.Status.DONE, 1)
    assert Person.objects.get().phone_last4 == "0002"


def test_numbers_that_excel_has_rounded_are_refused(town, staff_a):
    content = people_xlsx([person_row(1, 证件号码=310112198503040011)])

    job = check(staff_a, PEOPLE, content, town.grid_a.code)

    assert job.error_count == 1
    assert Person.objects.count() == 0
