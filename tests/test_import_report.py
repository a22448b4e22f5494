"""The contact import's report (issue 11, item 6): bounded in size, and exact about
what was kept. Good rows are kept only when every refused row is listed (at most
MAX_REPORTED_ERRORS); otherwise nothing is. Either way the audit trail has it."""

import io

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile

from contacts import imports
from contacts.imports import MAX_REPORTED_ERRORS
from contacts.models import Contact
from tests import factories
from tests.import_steps import admin_import

HEADER = "first name,last name,email\n"


def _csv(good: int, bad: int) -> bytes:
    """`good` valid rows, then `bad` rows with an invalid address."""
    rows = [f"Good{i},Row,good{i}@example.com\n" for i in range(good)]
    rows += [f"Bad{i},Row,not-an-address-{i}\n" for i in range(bad)]
    return (HEADER + "".join(rows)).encode()


def _import(tenant, data: bytes, **options):
    return imports.import_contacts(
        io.BytesIO(data),
        tenant=tenant,
        partition=None,
        actor=factories.administrator(tenant),
        source="list.csv",
        **options,
    )


def test_with_every_refused_row_listed_the_others_are_kept_and_audited(tenant):
    # given: lines 2-4 good, 5-6 bad, 7 good, 8 bad
    data = (
        HEADER
        + "A,Row,a@example.com\nB,Row,b@example.com\nC,Row,c@example.com\n"
        + "D,Row,bad\nE,Row,bad\nF,Row,f@example.com\nG,Row,bad\n"
    ).encode()

    # when
    result = _import(tenant, data)

    # then
    assert (result.rows, result.imported, result.refused) == (7, 4, 3)
    assert not result.kept_nothing
    assert [error.line for error in result.errors] == [5, 6, 8]
    assert set(Contact.objects.values_list("first_name", flat=True)) == set("ABCF")
    [entry] = LogEntry.objects.all()
    assert "Imported 4 contacts" in entry.change_message
    assert "Refused lines: 5-6, 8" in entry.change_message


def test_more_refused_rows_than_can_be_listed_keep_nothing_and_are_audited(tenant):
    # when
    result = _import(tenant, _csv(good=20, bad=MAX_REPORTED_ERRORS + 5))

    # then: nothing kept, the report bounded, the count whole
    assert result.kept_nothing
    assert result.imported == 0
    assert result.refused == MAX_REPORTED_ERRORS + 5
    assert len(result.errors) == MAX_REPORTED_ERRORS
    assert result.more_errors == 5
    assert result.describe().startswith(
        f"Nothing imported: {MAX_REPORTED_ERRORS + 5} of "
        f"{MAX_REPORTED_ERRORS + 25} rows refused, more than the "
        f"{MAX_REPORTED_ERRORS} an import may skip."
    )
    assert not Contact.objects.exists()
    [entry] = LogEntry.objects.all()
    assert "Nothing imported" in entry.change_message
    assert "and 5 more." in entry.change_message


def test_exactly_as_many_refused_rows_as_can_be_listed_still_keeps_the_good(tenant):
    result = _import(tenant, _csv(good=3, bad=MAX_REPORTED_ERRORS))
    assert (result.imported, result.more_errors) == (3, 0)
    assert Contact.objects.count() == 3


def test_all_or_nothing_refusing_is_audited_too(tenant):
    result = _import(tenant, _csv(good=3, bad=1), atomic=True)
    assert result.imported == 0
    assert not Contact.objects.exists()
    [entry] = LogEntry.objects.all()
    assert "Nothing imported (all or nothing)" in entry.change_message


@pytest.fixture
def upload():
    def make(data: bytes):
        return {
            "file": SimpleUploadedFile("list.csv", data, content_type="text/csv"),
            "encoding": "utf-8-sig",
        }

    return make


def test_the_admin_page_lists_at_most_the_cap_and_says_how_many_more(
    admin_client, tenant, upload
):
    bad = MAX_REPORTED_ERRORS * 3

    response = admin_import(admin_client, upload(_csv(good=2, bad=bad)))

    page = response.content.decode()
    assert response.status_code == 200
    assert page.count("<li>line ") == MAX_REPORTED_ERRORS
    assert f"and {bad - MAX_REPORTED_ERRORS} more rows refused." in page
    assert "Nothing was imported." in page
    assert not Contact.objects.exists()
    assert LogEntry.objects.filter(change_message__contains="Nothing imported").count()


def test_the_admin_page_lists_every_refused_row_when_it_keeps_the_others(
    admin_client, tenant, upload
):
    response = admin_import(admin_client, upload(_csv(good=2, bad=3)))

    page = response.content.decode()
    assert page.count("<li>line ") == 3
    assert "These rows were not imported; every other row was:" in page
    assert "more rows refused" not in page
    assert Contact.objects.count() == 2
