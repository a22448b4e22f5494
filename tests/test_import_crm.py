"""Onboarding a client's contact list as its CRM exports it (issue 16): recognised
headers, --map, --ignore-unknown, --dry-run, delimiters, Excel, re-import and
duplicates, the preview the admin's mapping page shows, and the mobile number."""

import datetime
import io
import re
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError

from contacts import import_headers, import_tables, imports
from contacts.models import Company, Contact
from interactions.routing import route_interaction
from partitions import actions as partition_actions
from tests import factories

DATA = Path(__file__).parent / "data" / "import"

# The three people every CRM sample holds, as they must be stored.
STORED = {
    ("Aiko", "Tanaka", "Manager", "Globex", "aiko.tanaka@globex.example"): (
        "+81312345678",
        "+819011112222",
    ),
    ("Ben", "Smith", "Buyer", "Initech", "ben.smith@initech.example"): (
        "+16502530000",
        "",
    ),
    ("太郎", "山田", "部長", "山田商事株式会社", "taro@yamada.example"): (
        "+81612345678",
        "+818033334444",
    ),
}


@pytest.fixture
def tenant(db):
    return factories.TenantFactory(name="Sakura BPO", slug="sakura")


@pytest.fixture
def acme(tenant):
    return factories.ClientPartitionFactory(tenant=tenant, name="Acme")


def run(path, *args) -> tuple[str, str]:
    """The command's stdout and stderr (a CommandError as its last stderr line)."""
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command(
            "import_contacts",
            str(path),
            "--tenant",
            "sakura",
            *args,
            stdout=out,
            stderr=err,
        )
    except CommandError as exc:
        return out.getvalue(), err.getvalue() + f"CommandError: {exc}\n"
    return out.getvalue(), err.getvalue()


def stored(tenant, *, titles=True, mobiles=True) -> dict:
    rows = {}
    for c in Contact.objects.filter(tenant=tenant).select_related("company"):
        key = (
            c.first_name,
            c.last_name,
            c.title if titles else "",
            c.company.name if c.company else "",
            c.email,
        )
        rows[key] = (c.phone, c.mobile if mobiles else "")
    return rows


def without(field_index: int, rows: dict) -> dict:
    """STORED with one part of the key blanked (a CRM without that column)."""
    return {
        tuple("" if i == field_index else v for i, v in enumerate(key)): value
        for key, value in rows.items()
    }


def test_salesforce_export_is_refused_listing_its_unknown_columns(tenant, acme):
    _out, err = run(DATA / "salesforce.csv", "--partition", "Acme")
    assert (
        err.strip()
        .splitlines()[-1]
        .startswith(
            "CommandError: Unknown columns: Lead Source, Created Date, Contact Owner."
        )
    )
    assert not Contact.objects.exists()


def test_salesforce_export_imports_with_ignore_unknown(tenant, acme):
    out, err = run(DATA / "salesforce.csv", "--partition", "Acme", "--ignore-unknown")
    assert err == ""
    assert out.strip() == (
        "Imported 3 contacts, updated 0 contacts (3 companies created); "
        "0 rows refused. Ignored columns: Lead Source, Created Date, Contact Owner."
    )
    assert stored(tenant) == STORED
    assert set(Contact.objects.values_list("partition", flat=True)) == {acme.pk}


def test_hubspot_export_imports_with_ignore_unknown(tenant, acme):
    out, err = run(DATA / "hubspot.csv", "--partition", "Acme", "--ignore-unknown")
    assert err == ""
    # "Record ID" is a known header (ignored on purpose), not an unknown one.
    assert out.strip().endswith(
        "Ignored columns: Create Date, Contact owner, Lifecycle Stage."
    )
    assert stored(tenant) == STORED


def test_zendesk_export_imports_with_no_option_and_its_names_split(tenant, acme):
    _out, err = run(DATA / "zendesk.csv", "--partition", "Acme")
    assert err == ""
    # One "Name" column, split like routing splits a display name ("山田 太郎" is
    # family name first); Zendesk has no title or mobile.
    expected = {key: (phone, "") for key, (phone, _m) in without(2, STORED).items()}
    assert stored(tenant) == expected


def test_japanese_headers_import_with_no_option(tenant, acme):
    _out, err = run(DATA / "japanese.csv", "--partition", "Acme")
    assert err == ""
    assert stored(tenant) == STORED


def write_xlsx(path: Path, rows: list[list]) -> Path:
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet()
    for row in rows:
        sheet.append(row)
    workbook.save(path)
    return path


def test_xlsx_of_the_salesforce_rows_imports_like_the_csv(tenant, acme, tmp_path):
    import csv

    with (DATA / "salesforce.csv").open(encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    # As Excel keeps them: the creation date as a date, a mobile typed as a number
    # (no leading zero, country code first), a phone as text with its leading zero.
    rows[1][8] = datetime.datetime(2026, 1, 15)
    rows[1][6] = 819011112222
    rows[2][6] = None
    path = write_xlsx(tmp_path / "contacts.xlsx", rows)

    _out, err = run(path, "--partition", "Acme", "--ignore-unknown")

    assert err == ""
    assert stored(tenant) == STORED


def test_xlsx_cells_keep_their_form(tmp_path):
    path = write_xlsx(
        tmp_path / "cells.xlsx",
        [
            ["Phone", "Mobile", "Created Date", "Score", "Empty"],
            [819012345678, "09012345678", datetime.date(2026, 1, 15), 12.5, None],
            [819012345678.0, "", datetime.datetime(2026, 1, 15, 9, 30), 3, None],
        ],
    )
    with path.open("rb") as stream, imports.open_table(stream, "cells.xlsx") as table:
        assert table.headers == ["Phone", "Mobile", "Created Date", "Score", "Empty"]
        assert list(table) == [
            (2, ["819012345678", "09012345678", "2026-01-15", "12.5"]),
            (3, ["819012345678", "", "2026-01-15 09:30:00", "3"]),
        ]


def test_xlsx_is_recognised_by_its_content_whatever_its_name(tenant, tmp_path):
    path = write_xlsx(
        tmp_path / "list.dat", [["Email", "Mobile"], ["a@example.com", "09011112222"]]
    )
    _out, err = run(path)
    assert err == ""
    assert Contact.objects.get().mobile == "+819011112222"


def test_a_file_that_is_no_workbook_is_refused(tenant, tmp_path):
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not a zip")
    _out, err = run(path)
    assert "CommandError: The file is not an Excel workbook (.xlsx)" in err


@pytest.mark.parametrize("delimiter", [";", "\t", ","])
def test_semicolon_and_tab_delimiters_are_detected(tenant, tmp_path, delimiter):
    lines = [
        ["Vorname", "Nachname", "E-Mail", "Telefon", "Firma"],
        ["Jürgen", "Müller", "j.mueller@example.de", "+49 30 1234567", "Müller, GmbH"],
    ]
    text = "\n".join(delimiter.join(f'"{cell}"' for cell in row) for row in lines)
    path = tmp_path / "kontakte.csv"
    path.write_text(text + "\n", encoding="utf-8")

    _out, err = run(
        path,
        "--map",
        "Vorname=first_name",
        "--map",
        "Nachname=last_name",
        "--map",
        "Telefon=phone",
        "--map",
        "Firma=company",
    )

    assert err == ""
    contact = Contact.objects.select_related("company").get()
    assert (contact.first_name, contact.last_name, contact.email) == (
        "Jürgen",
        "Müller",
        "j.mueller@example.de",
    )
    assert contact.phone == "+49301234567"
    assert contact.company.name == "Müller, GmbH"


def test_map_overrides_and_extends_the_table(tenant, tmp_path):
    path = tmp_path / "list.csv"
    path.write_text(
        "Name,Handy,Phone,Notes\nBen Smith,090-1111-2222,03-1234-5678,VIP\n",
        encoding="utf-8",
    )
    _out, err = run(
        path,
        "--map",
        "handy=mobile",
        "--map",
        "Name=last_name",
        "--map",
        "Notes=ignore",
    )
    assert err == ""
    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name) == ("", "Ben Smith")
    assert (contact.phone, contact.mobile) == ("+81312345678", "+819011112222")


@pytest.mark.parametrize(
    ("option", "message"),
    [
        ("Handy=fax", 'Unknown field "fax" for column "Handy"'),
        ("Fax=mobile", 'No column is named "Fax"'),
        ("Handy", '--map takes "Header=field", not "Handy".'),
        ("Phone=mobile", "Columns given twice: mobile (Handy, Phone)."),
    ],
)
def test_a_wrong_map_is_refused_with_its_reason(tenant, tmp_path, option, message):
    path = tmp_path / "list.csv"
    path.write_text("Name,Handy,Phone\nBen,090-1111-2222,\n", encoding="utf-8")
    _out, err = run(path, "--map", "Handy=mobile", "--map", option)
    assert message in err
    assert not Contact.objects.exists()


def test_dry_run_reports_errors_and_counts_and_writes_nothing(tenant, acme, tmp_path):
    # Stored without a first name: the row's Ben Smith is this contact.
    factories.ContactFactory(
        tenant=tenant,
        partition=acme,
        email="ben.smith@initech.example",
        first_name="",
        last_name="Smith",
    )
    rows = (DATA / "japanese.csv").read_text(encoding="utf-8") + (
        "Bad,Row,not-an-email,,,,\n"
    )
    path = tmp_path / "dry.csv"
    path.write_text(rows, encoding="utf-8")
    _out, err = run(path, "--partition", "Acme", "--dry-run")
    assert err.splitlines() == [
        "line 5: Email: Enter a valid email address.",
        "CommandError: Dry run, nothing written: 2 contacts would be created, "
        "1 contact updated (3 companies created); 1 row refused.",
    ]
    assert Contact.objects.count() == 1
    assert Contact.objects.get().first_name != "Ben"
    assert not Company.objects.exists()
    assert not LogEntry.objects.exists()


def test_reimport_updates_stored_contacts_instead_of_copying_them(
    tenant, acme, tmp_path
):
    run(DATA / "salesforce.csv", "--partition", "Acme", "--ignore-unknown")
    other = factories.ClientPartitionFactory(tenant=tenant, name="Other")
    # Same address in another client: a different contact, left alone.
    elsewhere = factories.ContactFactory(
        tenant=tenant, partition=other, email="taro@yamada.example", title="Intern"
    )
    corrected = tmp_path / "corrected.csv"
    corrected.write_text(
        "Email,Job Title,Phone,First Name,Last Name,Mobile\n"
        # Matched by address (any case); an empty cell keeps what is stored.
        "TARO@Yamada.example,社長,,,,\n"
        # Matched without an address by its (normalised) mobile, the names agreeing
        # (an empty name agrees with any).
        ",Director,,,TANAKA,+81 90 1111 2222\n"
        # New.
        "chloe@example.com,,,Chloe,Brown,\n",
        encoding="utf-8",
    )
    out, err = run(corrected, "--partition", "Acme")

    assert err == ""
    assert "Imported 1 contact, updated 2 contacts (0 companies created)" in out
    assert Contact.objects.filter(partition=acme).count() == 4
    taro = Contact.objects.get(partition=acme, email="taro@yamada.example")
    assert (taro.title, taro.phone, taro.first_name) == ("社長", "+81612345678", "太郎")
    aiko = Contact.objects.get(partition=acme, first_name="Aiko")
    assert (aiko.title, aiko.mobile) == ("Director", "+819011112222")
    elsewhere.refresh_from_db()
    assert elsewhere.title == "Intern"
    # One audit entry per import, the update included.
    assert LogEntry.objects.filter(object_id=str(acme.pk)).count() == 2


def test_the_same_contact_twice_in_a_file_is_reported(tenant, tmp_path):
    stored_one = factories.ContactFactory(
        tenant=tenant,
        partition=None,
        email="dan@example.com",
        phone="",
        mobile="",
        first_name="",
        last_name="Dan",
    )
    path = tmp_path / "twice.csv"
    path.write_text(
        "Email,Phone,Last Name\n"
        "aiko@example.com,090-1111-2222,Tanaka\n"
        "AIKO@example.com,,ＴＡＮＡＫＡ\n"  # line 3: same address, same name
        ",+819011112222,\n"  # line 4: same number, no address, no name
        "dan@example.com,03-1111-2222,Dan\n"  # line 5: updates the stored one
        ",03-1111-2222,dan\n"  # line 6: that contact again
        # Different people sharing a mailbox and a number: their names conflict.
        "aiko@example.com,,Sato\n"
        ",+819011112222,Suzuki\n",
        encoding="utf-8",
    )
    _out, err = run(path)
    assert err.splitlines() == [
        "line 3: Same contact as line 2.",
        "line 4: Same contact as line 2.",
        "line 6: Same contact as line 5.",
        "CommandError: Imported 3 contacts, updated 1 contact (0 companies created); "
        "3 rows refused.",
    ]
    assert sorted(Contact.objects.values_list("last_name", flat=True)) == [
        "Dan",
        "Sato",
        "Suzuki",
        "Tanaka",
    ]
    stored_one.refresh_from_db()
    assert (stored_one.last_name, stored_one.phone) == ("Dan", "+81311112222")


def test_repeats_are_found_across_batches_and_merges(tenant, monkeypatch):
    """The file's identities are kept compactly (imports._FirstLines): repeats are
    found whichever batch, and whichever merged run of keys, holds the first."""
    monkeypatch.setattr(imports._FirstLines, "MERGE_AT", 3)
    rows = "".join(f"p{i}@example.com,+8190{i:08d}\n" for i in range(40))
    rows += "P7@example.com,\n,+819000000033\n"  # lines 42 and 43
    result = imports.import_contacts(
        io.BytesIO(("email,phone\n" + rows).encode()),
        tenant=tenant,
        partition=None,
        actor=factories.administrator(tenant),
        batch_size=4,
    )
    assert [str(error) for error in result.errors] == [
        "line 42: Same contact as line 9.",
        "line 43: Same contact as line 35.",
    ]
    assert result.imported == 40
    assert Contact.objects.count() == 40


def test_first_lines_keep_the_first_line_of_each_key(monkeypatch):
    monkeypatch.setattr(imports._FirstLines, "MERGE_AT", 2)
    lines = imports._FirstLines()
    for line, key in enumerate(["k5", "k3", "k9", "k1", "k7", "k3", "k5", "k8"]):
        lines.add(key, line)
    # A key met again keeps its first line, whether merged into the arrays or not.
    assert {key: lines.get(key) for key in ["k1", "k3", "k5", "k7", "k8", "k9"]} == {
        "k5": 0,
        "k3": 1,
        "k9": 2,
        "k1": 3,
        "k7": 4,
        "k8": 7,
    }
    assert lines.get("k2") is None
    assert len(lines.hashes) == 6
    assert list(lines.hashes) == sorted(lines.hashes)


def test_first_lines_keep_each_keys_line_and_names_through_merges(monkeypatch):
    """The arrays are merged in place, from the back: each key keeps its own line
    and names digest, wherever its hash falls among the keys merged before."""
    monkeypatch.setattr(imports._FirstLines, "MERGE_AT", 3)
    lines = imports._FirstLines()
    keys = [("e", f"agent{n}@example.com") for n in range(50)]
    for line, key in enumerate(keys, start=2):
        lines.add(key, line, names=line * 1000)
    assert [lines.find(key) for key in keys] == [
        (line, line * 1000) for line in range(2, 52)
    ]
    assert len(lines.hashes) == len(lines.lines) == len(lines.names) == 48
    assert list(lines.hashes) == sorted(lines.hashes)


def test_reimport_queries_are_bounded_per_batch(
    tenant, acme, django_assert_max_num_queries
):
    """The stored contacts are looked up per batch (one query), never per row."""
    for i in range(30):
        factories.ContactFactory(
            tenant=tenant, partition=acme, email=f"c{i}@example.com"
        )
    rows = "".join(f"c{i}@example.com,Title {i}\n" for i in range(60))
    admin = factories.administrator(tenant)
    # Companies (1), the client's checks (2); per batch of 20: lookup, insert,
    # update (3 x 3); the audit entry (2).
    with django_assert_max_num_queries(16):
        result = imports.import_contacts(
            io.BytesIO(("email,title\n" + rows).encode()),
            tenant=tenant,
            partition=acme,
            actor=admin,
            batch_size=20,
        )
    assert (result.imported, result.updated) == (30, 30)
    assert Contact.objects.filter(partition=acme, title="Title 7").count() == 1


def test_preview_shows_rows_as_stored_with_their_errors_and_writes_nothing(
    tenant, acme
):
    stored_ben = factories.ContactFactory(
        tenant=tenant,
        partition=acme,
        email="ben.smith@initech.example",
        first_name="Ben",
        last_name="Smith",
    )
    text = (DATA / "zendesk.csv").read_text(encoding="utf-8")
    text += '"Bad","not-an-email","",""\n'
    admin = factories.administrator(tenant)

    with (DATA / "zendesk.csv").open("rb") as stream:
        with imports.open_table(stream, "zendesk.csv") as table:
            headers = table.headers
    mapping = imports.suggest_mapping(headers)
    assert mapping == ["name", "email", "phone", "company"]
    assert set(imports.FIELDS) >= {"name", "mobile", "ignore"}

    result = imports.import_contacts(
        io.BytesIO(text.encode()),
        tenant=tenant,
        partition=acme,
        actor=admin,
        filename="zendesk.csv",
        mapping=mapping,
        preview=20,
    )

    rows = result.preview_rows
    assert [row.line for row in rows] == [2, 3, 4, 5]
    assert rows[0].values == {
        "first_name": "Aiko",
        "last_name": "Tanaka",
        "title": "",
        "company": "Globex",
        "email": "aiko.tanaka@globex.example",
        "phone": "+81312345678",
        "mobile": "",
    }
    assert [row.action for row in rows] == ["create", "update", "create", ""]
    assert rows[2].values["last_name"] == "山田"
    assert rows[3].errors == ["Email: Enter a valid email address."]
    assert all(not row.errors for row in rows[:3])
    assert (result.imported, result.updated, result.refused) == (2, 1, 1)
    assert list(Contact.objects.all()) == [stored_ben]
    assert not Company.objects.exists()
    assert not LogEntry.objects.exists()


def test_preview_stops_listing_after_n_rows(tenant):
    text = "email\n" + "".join(f"p{i}@example.com\n" for i in range(30))
    result = imports.import_contacts(
        io.BytesIO(text.encode()),
        tenant=tenant,
        partition=None,
        actor=factories.administrator(tenant),
        preview=20,
    )
    assert len(result.preview_rows) == 20
    assert result.imported == 30
    assert not Contact.objects.exists()


def test_a_list_mapping_from_the_mapping_page(tenant):
    text = "A,B,C\nBen Smith,ben@example.com,x\n"
    result = imports.import_contacts(
        io.BytesIO(text.encode()),
        tenant=tenant,
        partition=None,
        actor=factories.administrator(tenant),
        mapping=["name", "email", "ignore"],
    )
    assert result.imported == 1
    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name) == ("Ben", "Smith")


def test_every_recognised_header_names_one_field():
    written = [
        (import_headers.header_key(header), field)
        for field, headers in import_headers._HEADERS.items()
        for header in headers
    ]
    fields_of = {}
    for key, field in written:
        fields_of.setdefault(key, set()).add(field)
    assert {k: f for k, f in fields_of.items() if len(f) > 1} == {}
    assert set(import_headers._HEADERS) <= set(import_headers.FIELDS)
    assert import_headers.header_key(" E-MAIL_Address ") == "emailaddress"
    assert import_headers.recognised_field("Ｍｏｂｉｌｅ　Ｐｈｏｎｅ") == "mobile"


def test_export_then_import_round_trips_exactly_with_mobile(
    tenant, other_tenant, tmp_path
):
    acme = factories.client_with_data(tenant, "Acme", contacts=4, companies=2)
    first, second = Contact.objects.filter(partition=acme).order_by("pk")[:2]
    Contact.objects.filter(pk=first.pk).update(mobile="+819011112222")
    Contact.objects.filter(pk=second.pk).update(mobile="+818033334444", phone="")
    archive_path = tmp_path / "acme.zip"
    call_command(
        "partitions",
        "export",
        "Acme",
        "--tenant",
        "sakura",
        "-o",
        str(archive_path),
        stdout=io.StringIO(),
    )
    with zipfile.ZipFile(archive_path) as archive:
        (tmp_path / "contacts.csv").write_bytes(archive.read("contacts.csv"))
    factories.ClientPartitionFactory(tenant=other_tenant, name="Acme")

    out, err = io.StringIO(), io.StringIO()
    call_command(
        "import_contacts",
        str(tmp_path / "contacts.csv"),
        "--tenant",
        other_tenant.slug,
        "--partition",
        "Acme",
        stdout=out,
        stderr=err,
    )

    assert err.getvalue() == ""

    def snapshot(t):
        return sorted(
            (
                c.first_name,
                c.last_name,
                c.title,
                c.email,
                c.phone,
                c.mobile,
                c.company.name if c.company else "",
            )
            for c in Contact.objects.filter(tenant=t).select_related("company")
        )

    assert snapshot(other_tenant) == snapshot(tenant)
    assert "+818033334444" in {c[5] for c in snapshot(other_tenant)}

    # The same export imported again: every contact found, none copied.
    out = io.StringIO()
    call_command(
        "import_contacts",
        str(tmp_path / "contacts.csv"),
        "--tenant",
        other_tenant.slug,
        "--partition",
        "Acme",
        stdout=out,
    )
    assert "Imported 0 contacts, updated 4" in out.getvalue()
    assert snapshot(other_tenant) == snapshot(tenant)


def test_routing_finds_a_caller_by_mobile(tenant, acme):
    factories.ServiceFactory(tenant=tenant, name="Acme Line", client_partition=acme)
    run(DATA / "japanese.csv", "--partition", "Acme")
    taro = Contact.objects.get(email="taro@yamada.example")

    routed = route_interaction(
        tenant, service="Acme Line", channel="voice", sender="+81 80-3333-4444"
    )

    assert routed.contact_id == taro.pk
    assert not routed.contact_created
    assert Contact.objects.filter(tenant=tenant).count() == 3


def test_a_preview_into_an_offboarding_client_says_what_the_import_would(tenant, acme):
    admin = factories.administrator(tenant)
    partition_actions.offboard_client_partition(acme, grace_days=5, actor=admin)
    with pytest.raises(imports.ContactImportError, match="being offboarded"):
        imports.import_contacts(
            io.BytesIO(b"email\na@example.com\n"),
            tenant=tenant,
            partition=acme,
            actor=admin,
            preview=20,
        )


@pytest.mark.parametrize("write_only", [True, False])
def test_a_workbook_damaged_inside_is_refused_in_one_line(tenant, tmp_path, write_only):
    # A write-only workbook has no dimension element: openpyxl reads the whole
    # sheet on opening to size it; a normal one is damaged only when its rows are.
    workbook = openpyxl.Workbook(write_only=write_only)
    sheet = workbook.create_sheet() if write_only else workbook.active
    for row in [["Email"], *([f"a{i}@example.com"] for i in range(50))]:
        sheet.append(row)
    good = tmp_path / "good.xlsx"
    workbook.save(good)
    damaged = tmp_path / "damaged.xlsx"
    with zipfile.ZipFile(good) as source, zipfile.ZipFile(damaged, "w") as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename.endswith("sheet1.xml"):
                data = data[: len(data) // 2] + b"<<garbage"
            target.writestr(info, data)
    _out, err = run(damaged)
    expected = (
        "CommandError: The file is not an Excel workbook"
        if write_only
        else "CommandError: The workbook is damaged after row"
    )
    assert err.startswith(expected)
    assert len(err.splitlines()) == 1
    assert not Contact.objects.exists()


# ----- review of issue 16: damaged and hostile workbooks ------------------------------


def rezip(source: Path, target: Path, change) -> Path:
    """The workbook with each part's bytes passed through change(name, data)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w") as new:
        for info in old.infolist():
            new.writestr(info, change(info.filename, old.read(info.filename)))
    return target


def corrupt_deflate(source: Path, target: Path, member="xl/styles.xml") -> Path:
    """The workbook with one part's compressed bytes damaged (a truncated or
    bit-flipped download): zipfile raises zlib.error, not BadZipFile."""
    raw = bytearray(source.read_bytes())
    with zipfile.ZipFile(source) as archive:
        info = archive.getinfo(member)
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    for index in range(start + 10, start + 40):
        raw[index] ^= 0x5A
    target.write_bytes(bytes(raw))
    return target


def test_a_workbook_with_damaged_compressed_data_is_one_line_of_error(tenant, tmp_path):
    good = write_xlsx(tmp_path / "good.xlsx", [["Email"], ["a@example.com"]])
    _out, err = run(corrupt_deflate(good, tmp_path / "damaged.xlsx"))
    assert err.startswith("CommandError: The file is not an Excel workbook")
    assert len(err.splitlines()) == 1


def test_a_workbook_with_damaged_sheet_data_is_one_line_of_error(tenant, tmp_path):
    good = openpyxl.Workbook()
    for row in [["Email"], *([f"a{i}@example.com"] for i in range(300))]:
        good.active.append(row)
    good.save(tmp_path / "good.xlsx")
    damaged = corrupt_deflate(
        tmp_path / "good.xlsx", tmp_path / "damaged.xlsx", "xl/worksheets/sheet1.xml"
    )
    _out, err = run(damaged)
    assert err.startswith("CommandError: The ")
    assert len(err.splitlines()) == 1
    assert not Contact.objects.exists()


@pytest.mark.parametrize(
    "flag",
    [
        0x01,  # "encrypted": zipfile's RuntimeError, a password required
        0x20,  # "compressed patched data": zipfile's NotImplementedError
    ],
)
def test_a_workbook_with_a_part_zipfile_cannot_read_is_one_line_of_error(
    tenant, tmp_path, flag
):
    good = write_xlsx(tmp_path / "good.xlsx", [["Email"], ["a@example.com"]])
    raw = bytearray(good.read_bytes())
    # The part's flags in the zip's central directory, which zipfile reads them from.
    entry = raw.index(b"PK\x01\x02")
    while not raw[entry + 46 :].startswith(b"xl/workbook.xml"):
        entry = raw.index(b"PK\x01\x02", entry + 4)
    raw[entry + 8] |= flag
    damaged = tmp_path / "damaged.xlsx"
    damaged.write_bytes(bytes(raw))
    _out, err = run(damaged)
    assert err.startswith("CommandError: The file is not an Excel workbook"), err
    assert len(err.splitlines()) == 1


@pytest.mark.parametrize(
    "part, change",
    [
        # A style's number format that is no number: TypeError inside openpyxl.
        ("xl/styles.xml", lambda data: data.replace(b'numFmtId="0"', b'numFmtId="x"')),
        # A namespace prefix that is no name: lxml's XMLSyntaxError (a SyntaxError,
        # not ElementTree's ParseError) when openpyxl parses with lxml.
        (
            "xl/workbook.xml",
            lambda data: data.replace(b"<workbook ", b'<workbook xmlns:0c="x" ', 1),
        ),
        # A cell naming a shared string the workbook does not have: IndexError.
        (
            "xl/worksheets/sheet1.xml",
            lambda data: data.replace(
                b'<c r="A2" t="inlineStr">', b'<c r="A2" t="s">'
            ).replace(b"<is><t>a@example.com</t></is>", b"<v>99</v>"),
        ),
    ],
)
def test_a_workbook_with_a_malformed_part_is_one_line_of_error(
    tenant, tmp_path, part, change
):
    good = openpyxl.Workbook()
    good.active.append(["Email"])
    good.active.append(["a@example.com"])
    good.save(tmp_path / "good.xlsx")
    damaged = rezip(
        tmp_path / "good.xlsx",
        tmp_path / "damaged.xlsx",
        lambda name, data: change(data) if name == part else data,
    )
    _out, err = run(damaged)
    assert err.startswith(
        (
            "CommandError: The file is not an Excel workbook",
            "CommandError: The workbook",
        )
    ), err
    assert len(err.splitlines()) == 1
    assert not Contact.objects.exists()


def test_a_huge_declared_sheet_size_costs_only_the_cells_present(
    tenant, tmp_path, monkeypatch
):
    """A sheet whose <dimension> claims A1:XFD1048576 (any tool may write it) with its
    second row at 1048576: openpyxl's read-only reader would pad every row, present
    or missing, to 16,384 cells, each converted (minutes of a web worker for 2
    cells). Counted by the cells converted, not by time."""
    good = openpyxl.Workbook()
    good.active.append(["Email"])
    good.active.append(["a@example.com"])
    good.save(tmp_path / "good.xlsx")

    def blow_up(name, data):
        if not name.endswith("sheet1.xml"):
            return data
        data = re.sub(
            rb'<dimension ref="[^"]*"/>', b'<dimension ref="A1:XFD1048576"/>', data
        )
        return data.replace(b'<row r="2"', b'<row r="1048576"').replace(
            b'r="A2"', b'r="A1048576"'
        )

    hostile = rezip(tmp_path / "good.xlsx", tmp_path / "hostile.xlsx", blow_up)
    assert b"XFD1048576" in zipfile.ZipFile(hostile).read("xl/worksheets/sheet1.xml")
    assert hostile.stat().st_size < 10_000
    calls = 0
    original = import_tables._cell_text

    def counted(value):
        nonlocal calls
        calls += 1
        if calls > 100_000:  # fail fast rather than run for many minutes
            raise AssertionError("100,000 cells converted for a 2-cell sheet")
        return original(value)

    monkeypatch.setattr(import_tables, "_cell_text", counted)
    _out, err = run(hostile)
    assert err == ""
    assert Contact.objects.get().email == "a@example.com"
    assert calls == 2


def test_refused_long_phone_cells_are_not_kept_in_the_phone_cache(tenant, tmp_path):
    """contacts.phones._stored_form is a cache keyed by the text as given: a file of
    long "phones" (a few KB compressed in a workbook) must not leave them held in
    every worker that previewed or imported it. They are refused before it."""
    from contacts import phones

    phones._stored_form.cache_clear()
    path = tmp_path / "long.csv"
    with path.open("w") as handle:
        handle.write("Email,Phone\n")
        for i in range(50):
            handle.write(f"a{i}@example.com,{i:03d}{'9' * 1_000}\n")
    _out, err = run(path)
    assert "50 rows refused" in err
    assert "line 2: Phone: Ensure this value has at most 40 characters" in err
    assert phones._stored_form.cache_info().currsize == 0


def test_a_workbook_that_unpacks_past_the_limit_is_refused_before_reading(
    tenant, tmp_path, settings
):
    """A decompression bomb: a small .xlsx whose parts declare far more bytes than
    any honest list (CONTACT_IMPORT_MAX_UNPACKED_SIZE) is refused in one line, from
    the zip's directory, before any part is inflated."""
    settings.CONTACT_IMPORT_MAX_UNPACKED_SIZE = 1024 * 1024
    good = write_xlsx(tmp_path / "good.xlsx", [["Email"], ["a@example.com"]])
    bomb = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(good) as old, zipfile.ZipFile(bomb, "w") as new:
        for info in old.infolist():
            new.writestr(info, old.read(info.filename))
        new.writestr("xl/media/padding.bin", b"\0" * 2_000_000, zipfile.ZIP_DEFLATED)
    assert bomb.stat().st_size < 20_000
    _out, err = run(bomb)
    assert err == (
        "CommandError: The workbook unpacks to 1.9\xa0MB, more than the 1.0\xa0MB an "
        "import reads: save it as CSV, or split it.\n"
    )
    assert not Contact.objects.exists()
    settings.CONTACT_IMPORT_MAX_UNPACKED_SIZE = 3 * 1024 * 1024
    _out, err = run(bomb)
    assert err == ""
    assert Contact.objects.get().email == "a@example.com"


# ----- "the same contact": the key, and names that do not conflict -----------------


def test_export_then_import_round_trips_people_sharing_a_switchboard_or_mailbox(
    tenant, acme, tmp_path
):
    """Two people of one company with its switchboard and no email, two with one
    info@ mailbox (common in B2B lists): the export holds four, the import into
    another tenant creates four (it refused the second of each as a repeat)."""
    other = factories.TenantFactory(name="Northwind", slug="northwind")
    factories.ClientPartitionFactory(tenant=other, name="Acme")
    for first, last, email, phone in [
        ("Aiko", "Tanaka", "", "+81312345678"),
        ("Ben", "Smith", "", "+81312345678"),
        ("Chloe", "Brown", "info@acme.example", ""),
        ("Dan", "Brown", "info@acme.example", ""),
    ]:
        Contact.objects.create(
            tenant=tenant,
            partition=acme,
            first_name=first,
            last_name=last,
            email=email,
            phone=phone,
        )
    archive = tmp_path / "acme.zip"
    call_command(
        "partitions",
        "export",
        "Acme",
        "--tenant",
        "sakura",
        "-o",
        str(archive),
        stdout=io.StringIO(),
    )
    with zipfile.ZipFile(archive) as zipped:
        (tmp_path / "contacts.csv").write_bytes(zipped.read("contacts.csv"))
    err = io.StringIO()
    call_command(
        "import_contacts",
        str(tmp_path / "contacts.csv"),
        "--tenant",
        "northwind",
        "--partition",
        "Acme",
        stdout=io.StringIO(),
        stderr=err,
    )
    assert err.getvalue() == ""
    fields = ("first_name", "last_name", "email", "phone")
    assert sorted(Contact.objects.filter(tenant=other).values_list(*fields)) == sorted(
        Contact.objects.filter(tenant=tenant).values_list(*fields)
    )


def test_a_reimport_by_phone_does_not_rename_another_person(tenant, acme, tmp_path):
    """A stored Aiko Tanaka at the switchboard, a file's Ben Smith at the same number:
    Ben is added, Aiko keeps her name (her history does not show under his)."""
    aiko = Contact.objects.create(
        tenant=tenant,
        partition=acme,
        first_name="Aiko",
        last_name="Tanaka",
        phone="+81312345678",
    )
    path = tmp_path / "new.csv"
    path.write_text(
        "First Name,Last Name,Title,Phone\n"
        "Ben,Smith,,03-1234-5678\n"
        "aiko,,Manager,03-1234-5678\n"  # no conflict: Aiko herself
    )
    out, err = run(path, "--partition", "Acme")
    assert err == ""
    assert "Imported 1 contact, updated 1 contact" in out
    aiko.refresh_from_db()
    assert (aiko.first_name, aiko.last_name, aiko.title) == (
        "aiko",
        "Tanaka",
        "Manager",
    )
    assert Contact.objects.filter(partition=acme).count() == 2


@pytest.mark.parametrize("dry_run", [True, False])
def test_a_stored_contact_updated_earlier_is_judged_by_its_new_names(
    tenant, acme, dry_run
):
    """A stored contact without names: the file's first row gives it Aiko Tanaka's
    names; a later row's Ben Smith at its mobile (another batch) is then another
    person, and a later "Tanaka" the same one, in a dry run as in the import."""
    Contact.objects.create(
        tenant=tenant, partition=acme, phone="+81312345678", mobile="+819011112222"
    )
    # Lines 3 and 4 name the stored contact by its mobile, not by line 2's phone.
    text = (
        "First Name,Last Name,Phone,Mobile\n"
        "Aiko,Tanaka,03-1234-5678,\n"
        "Ben,Smith,,090-1111-2222\n"
        ",Tanaka,,090-1111-2222\n"
    )
    result = imports.import_contacts(
        io.BytesIO(text.encode()),
        tenant=tenant,
        partition=acme,
        actor=factories.administrator(tenant),
        dry_run=dry_run,
        batch_size=1,
    )
    assert (result.imported, result.updated) == (1, 1)
    assert [str(error) for error in result.errors] == [
        "line 4: Same contact as line 2."
    ]


def test_names_digests_follow_the_models_rule():
    """The file's earlier rows are compared by a digest of their names
    (imports._names_digest), with the model's rule: an empty name conflicts with
    nothing, names differ after normalisation, case-insensitively."""

    def digest(first, last):
        return imports._names_digest(Contact(first_name=first, last_name=last))

    pairs = [
        (("Aiko", "Tanaka"), ("AIKO", "ｔａｎａｋａ"), False),
        (("Aiko", "Tanaka"), ("", "Tanaka"), False),
        (("Aiko", ""), ("", "Tanaka"), False),
        (("", ""), ("Ben", "Smith"), False),
        (("Aiko", "Tanaka"), ("Ben", "Tanaka"), True),
        (("Aiko", "Tanaka"), ("Aiko", "Sato"), True),
    ]
    for one, other, conflict in pairs:
        assert imports._names_conflict(digest(*one), digest(*other)) is conflict
        assert (
            Contact(first_name=one[0], last_name=one[1]).names_conflict(
                Contact(first_name=other[0], last_name=other[1])
            )
            is conflict
        )


def test_each_person_of_a_shared_number_is_found_again(tenant, monkeypatch):
    """Aiko and Ben at one switchboard are two people of one key: a later Ben is
    Ben's repeat, found whichever batch and merged run holds him."""
    monkeypatch.setattr(imports._FirstLines, "MERGE_AT", 2)
    text = (
        "First Name,Last Name,Phone\n"
        "Aiko,Tanaka,03-1234-5678\n"
        "Ben,Smith,03-1234-5678\n"
        "Chloe,Brown,03-9999-0000\n"
        "BEN,,+81312345678\n"  # line 5: Ben again
        "Dan,,03-1234-5678\n"  # line 6: a third person
    )
    result = imports.import_contacts(
        io.BytesIO(text.encode()),
        tenant=tenant,
        partition=None,
        actor=factories.administrator(tenant),
        batch_size=2,
    )
    assert [str(error) for error in result.errors] == [
        "line 5: Same contact as line 3."
    ]
    assert result.imported == 4
