"""Spreadsheet formulas (issue 11, item 2): every CSV the project writes for people
neutralises cells a spreadsheet would evaluate (OWASP CSV injection), and the
contact import undoes it, so export then import gives back the exact values."""

import csv
import io
import zipfile

import pytest
from django.core.management import call_command

from ccadmin.csvsafe import escape_cell, needs_quote, unescape_cell
from contacts.models import Contact
from partitions.export import export_client_partition
from tests import factories

# Real payloads from OWASP's CSV injection page and the security review.
FORMULAS = [
    '=HYPERLINK("http://x","y")',
    "@SUM(1+1)*cmd|' /C calc'!A0",
    "-2+3+cmd|' /C calc'!A0",
    "+cmd",
    "=1+1",
    "\t=1",
    "\r=1",
    "-",
    "+",
    "=",
]
# Left as they are: a spreadsheet shows them as numbers or text, never runs them.
PLAIN = ["+81312345678", "-12.5", "12", "1e5", "Aiko", "", "a=b", "'quoted"]


@pytest.mark.parametrize("value", FORMULAS)
def test_formula_cells_get_a_leading_quote_and_read_back_whole(value):
    assert escape_cell(value) == "'" + value
    assert unescape_cell(escape_cell(value)) == value


@pytest.mark.parametrize("value", PLAIN)
def test_plain_numbers_phones_and_text_are_left_alone(value):
    assert escape_cell(value) == value
    assert unescape_cell(value) == value


@pytest.mark.parametrize("value", ["'=1", "''=1", "'+cmd", "'\t=1"])
def test_a_value_that_looks_escaped_is_escaped_again_so_it_reads_back_exactly(value):
    assert escape_cell(value) == "'" + value
    assert unescape_cell(escape_cell(value)) == value


def test_a_cell_starting_with_a_quote_before_a_plain_number_keeps_its_quote():
    # "'+81..." is not an escaped cell (a phone needs no escaping), so it is data.
    assert not needs_quote("+81312345678")
    assert unescape_cell("'+81312345678") == "'+81312345678"


def _rows(archive: zipfile.ZipFile, name: str) -> list[list[str]]:
    text = archive.read(name).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(text, newline="")))


def test_every_file_of_the_export_neutralises_formulas(tenant):
    # given: formula payloads in every kind of record a client's export holds
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    service = factories.ServiceFactory(
        tenant=tenant, client_partition=acme, name="Claims"
    )
    company = factories.CompanyFactory(tenant=tenant, partition=acme, name="@SUM(1+1)")
    contact = factories.ContactFactory(
        tenant=tenant,
        partition=acme,
        company=company,
        first_name='=HYPERLINK("http://x","y")',
        last_name="-2+3+cmd|' /C calc'!A0",
        title="+cmd",
        phone="+81312345678",
    )
    email = factories.EmailFactory(
        tenant=tenant,
        partition=acme,
        contact=contact,
        service=service,
        subject="=cmd|' /C calc'!A0",
        body="@SUM(1+1)*cmd|' /C calc'!A0",
    )
    factories.ActivityFactory(
        tenant=tenant,
        partition=acme,
        contact=contact,
        email=email,
        service=service,
        summary="-2+3+cmd|' /C calc'!A0",
    )
    buffer = io.BytesIO()

    # when
    export_client_partition(acme, buffer, actor=factories.administrator(tenant))

    # then: no cell of any CSV file starts with a formula trigger, unless it is a
    # plain number; the payloads are there, quoted
    with zipfile.ZipFile(buffer) as archive:
        names = [n for n in archive.namelist() if n.endswith(".csv")]
        assert {"contacts.csv", "companies.csv", "emails.csv"} <= set(names)
        cells = [cell for name in names for row in _rows(archive, name) for cell in row]
        contacts = _rows(archive, "contacts.csv")
    assert not [cell for cell in cells if needs_quote(cell) and cell[0] != "'"]
    header, row = contacts
    by_column = dict(zip(header, row, strict=True))
    assert by_column["first name"] == '\'=HYPERLINK("http://x","y")'
    assert by_column["last name"] == "'-2+3+cmd|' /C calc'!A0"
    assert by_column["title"] == "'+cmd"
    assert by_column["phone"] == "+81312345678"
    assert by_column["company"] == "'@SUM(1+1)"
    assert "'=cmd|' /C calc'!A0" in cells
    assert "'@SUM(1+1)*cmd|' /C calc'!A0" in cells


def test_export_then_import_gives_back_exactly_the_formula_values(
    tenant, other_tenant, tmp_path
):
    # given: a client whose contacts hold formula payloads, phones and numbers
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    names = [
        ('=HYPERLINK("http://x","y")', "@SUM(1+1)*cmd|' /C calc'!A0", "+cmd"),
        ("-2+3+cmd|' /C calc'!A0", "'=1", "-12.5"),
        ("=1", "12", "'quoted"),
    ]
    for index, (first, last, title) in enumerate(names):
        company = factories.CompanyFactory(
            tenant=tenant, partition=acme, name=f"=Company{index}()"
        )
        factories.ContactFactory(
            tenant=tenant,
            partition=acme,
            company=company,
            first_name=first,
            last_name=last,
            title=title,
            phone=f"+8131234567{index}",
            email="",
        )
    # tab and carriage return lead a formula too; stored trimmed, as every name is
    factories.ContactFactory(
        tenant=tenant, partition=acme, first_name="\t=1", last_name="\r=1", email=""
    )
    archive_path = tmp_path / "acme.zip"
    call_command(
        "partitions", "export", "Acme", "--tenant", tenant.slug, "-o",
        str(archive_path), stdout=io.StringIO(),
    )  # fmt: skip
    with zipfile.ZipFile(archive_path) as archive:
        (tmp_path / "contacts.csv").write_bytes(archive.read("contacts.csv"))
    factories.ClientPartitionFactory(tenant=other_tenant, name="Acme")

    # when
    call_command(
        "import_contacts", str(tmp_path / "contacts.csv"), "--tenant",
        other_tenant.slug, "--partition", "Acme", stdout=io.StringIO(),
    )  # fmt: skip

    # then
    def snapshot(owner):
        return sorted(
            (c.first_name, c.last_name, c.title, c.phone, c.company and c.company.name)
            for c in Contact.objects.filter(tenant=owner).select_related("company")
        )

    assert snapshot(other_tenant) == snapshot(tenant)
    assert ('=HYPERLINK("http://x","y")', "@SUM(1+1)*cmd|' /C calc'!A0", "+cmd") in [
        row[:3] for row in snapshot(other_tenant)
    ]
    assert ("=1", "=1", "") in [row[:3] for row in snapshot(other_tenant)]
