"""Importing contacts from CSV: `manage.py import_contacts` and contacts.imports."""

import io
import zipfile

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError

from contacts import imports
from contacts.models import Company, Contact
from tests import factories

HEADER = "first name,last name,email,phone,company,title\n"


@pytest.fixture
def tenant(db):
    return factories.TenantFactory(name="Sakura BPO", slug="sakura")


@pytest.fixture
def acme(tenant):
    return factories.ClientPartitionFactory(tenant=tenant, name="Acme")


def write(tmp_path, text: str, name="contacts.csv", encoding="utf-8"):
    path = tmp_path / name
    path.write_bytes(text.encode(encoding))
    return path


def import_file(path, *args) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_contacts", str(path), *args, stdout=out, stderr=err)
    except CommandError as exc:
        return out.getvalue(), err.getvalue() + f"CommandError: {exc}\n"
    return out.getvalue(), err.getvalue()


def test_good_rows_are_imported_into_the_partition_with_companies(
    tenant, acme, tmp_path
):
    existing = factories.CompanyFactory(tenant=tenant, partition=acme, name="Globex")
    path = write(
        tmp_path,
        HEADER
        + "Aiko,Tanaka,aiko@example.com,+81300000001,Globex,Manager\n"
        + "Ben,Smith,ben@example.com,,GLOBEX,\n"
        + "Chloe,Brown,,+81300000003,Initech,Buyer\n"
        + ",,dan@example.com,,,\n",
    )

    out, err = import_file(path, "--tenant", "sakura", "--partition", "Acme")

    assert err == ""
    assert out.strip() == (
        "Imported 4 contacts, updated 0 (1 companies created); 0 rows refused."
    )
    contacts = {c.first_name: c for c in Contact.objects.filter(tenant=tenant)}
    assert set(contacts) == {"Aiko", "Ben", "Chloe", ""}
    assert all(c.partition == acme for c in contacts.values())
    assert contacts["Aiko"].company == existing
    assert contacts["Ben"].company == existing  # found ignoring case
    assert contacts["Chloe"].company.name == "Initech"
    assert contacts["Chloe"].company.partition == acme
    assert contacts["Aiko"].title == "Manager"
    assert Company.objects.filter(tenant=tenant).count() == 2
    [entry] = LogEntry.objects.filter(object_id=str(acme.pk))
    assert "Imported contacts (contacts.csv): Imported 4 contacts" in (
        entry.change_message
    )


def test_companies_are_not_shared_across_partitions(tenant, acme, tmp_path):
    other = factories.ClientPartitionFactory(tenant=tenant, name="Globex")
    elsewhere = factories.CompanyFactory(tenant=tenant, partition=other, name="Initech")
    path = write(tmp_path, HEADER + "Aiko,Tanaka,,,Initech,\n")

    import_file(path, "--tenant", "sakura", "--partition", "Acme")

    contact = Contact.objects.get()
    assert contact.company != elsewhere
    assert contact.company.partition == acme


def test_bad_rows_are_reported_by_line_and_good_rows_kept(tenant, tmp_path):
    path = write(
        tmp_path,
        HEADER
        + "Aiko,Tanaka,aiko@example.com,,,\n"  # line 2: good
        + "Ben,Smith,not-an-email,,,\n"  # line 3: bad email
        + "\n"  # line 4: blank, skipped
        + ",,,,Lonely Ltd,\n"  # line 5: no name, email or phone
        + '"Multi\nline",Name,m@example.com,,,\n'  # lines 6-7: good
        + f"{'x' * 101},Long,,,,\n"  # line 8: first name too long
        + "Too,Many,a@example.com,1,Co,T,extra\n",  # line 9: extra value
    )

    _out, err = import_file(path, "--tenant", "sakura")

    assert err.splitlines() == [
        "line 3: Email: Enter a valid email address.",
        "line 5: Give the contact at least a name, an email address or a phone.",
        "line 8: First name: Ensure this value has at most 100 characters "
        "(it has 101).",
        "line 9: 7 values, but the header names 6 columns.",
        "CommandError: Imported 2 contacts, updated 0 (0 companies created); "
        "4 rows refused.",
    ]
    assert set(Contact.objects.values_list("last_name", flat=True)) == {
        "Tanaka",
        "Name",
    }
    assert Contact.objects.get(last_name="Name").first_name == "Multi\nline"
    assert Contact.objects.get(last_name="Name").partition is None
    # The company of a refused row is not created.
    assert not Company.objects.exists()


def test_atomic_imports_nothing_when_a_row_is_bad(tenant, acme, tmp_path):
    path = write(
        tmp_path,
        HEADER + "Aiko,Tanaka,aiko@example.com,,NewCo,\nBen,Smith,bad,,,\n",
    )

    _out, err = import_file(
        path, "--tenant", "sakura", "--partition", "Acme", "--atomic"
    )

    assert "line 3: Email: Enter a valid email address." in err
    assert "Nothing imported (all or nothing): 1 of 2 rows refused." in err
    assert not Contact.objects.exists()
    assert not Company.objects.exists()
    # Kept or not, the import is on the audit trail (issue 11), with its refused line.
    [entry] = LogEntry.objects.all()
    assert "Nothing imported (all or nothing)" in entry.change_message
    assert "Refused lines: 3" in entry.change_message


def test_atomic_imports_everything_when_all_rows_are_good(tenant, tmp_path):
    path = write(tmp_path, HEADER + "Aiko,Tanaka,,,,\nBen,Smith,,,,\n")
    _out, err = import_file(path, "--tenant", "sakura", "--atomic")
    assert err == ""
    assert Contact.objects.count() == 2


def test_bom_and_japanese_names_and_header_spelling(tenant, tmp_path):
    path = write(
        tmp_path,
        "\ufeffFirst_Name, LAST-NAME ,E-mail,Phone,Company,Title\n"
        "太郎,山田,taro@example.jp,03-1234-5678,山田商事株式会社,部長\n",
    )
    # "E-mail Addr" is no header of the table: refused with the list.
    path = write(
        tmp_path,
        "\ufeffFirst_Name, LAST-NAME ,E-mail Addr,Phone,Company,Title\n"
        "太郎,山田,taro@example.jp,03-1234-5678,山田商事株式会社,部長\n",
    )
    _out, err = import_file(path, "--tenant", "sakura")
    assert "Unknown columns: E-mail Addr." in err
    assert not Contact.objects.exists()

    path = write(
        tmp_path,
        "\ufeffFirst_Name, LAST-NAME ,Email,Phone,Company,Title\n"
        "太郎,山田,taro@example.jp,03-1234-5678,山田商事株式会社,部長\n",
    )
    _out, err = import_file(path, "--tenant", "sakura")

    assert err == ""
    contact = Contact.objects.get()
    assert (contact.first_name, contact.last_name, contact.title) == (
        "太郎",
        "山田",
        "部長",
    )
    assert contact.company.name == "山田商事株式会社"


def test_shift_jis_file_with_its_encoding(tenant, tmp_path):
    path = write(tmp_path, HEADER + "太郎,山田,,,,\n", encoding="cp932")
    _out, err = import_file(path, "--tenant", "sakura")
    assert "The file is not UTF-8 text" in err
    assert "cp932" in err
    assert not Contact.objects.exists()

    _out, err = import_file(path, "--tenant", "sakura", "--encoding", "cp932")
    assert Contact.objects.get().first_name == "太郎"


def test_unknown_columns_are_refused_with_a_list(tenant, tmp_path):
    path = write(tmp_path, "first name,shoe size,email,colour\nAiko,24,a@x.jp,red\n")
    _out, err = import_file(path, "--tenant", "sakura")
    assert err.strip() == (
        "CommandError: Unknown columns: shoe size, colour. Map each to a field "
        "(first_name, last_name, name, title, company, email, phone, mobile, ignore) "
        "or ignore unknown columns."
    )
    assert not Contact.objects.exists()


@pytest.mark.parametrize("content", ["", "\n\n", "\ufeff"])
def test_empty_file_is_refused(tenant, tmp_path, content):
    path = write(tmp_path, content)
    _out, err = import_file(path, "--tenant", "sakura")
    assert err.startswith("CommandError: The file is empty")
    assert not Contact.objects.exists()


def test_header_only_imports_nothing_without_error(tenant, tmp_path):
    path = write(tmp_path, HEADER)
    out, err = import_file(path, "--tenant", "sakura")
    assert err == ""
    assert "Imported 0 contacts" in out
    assert not LogEntry.objects.exists()


def test_unknown_partition_tenant_or_file(tenant, tmp_path):
    path = write(tmp_path, HEADER)
    assert (
        "no client partition named"
        in import_file(path, "--tenant", "sakura", "--partition", "Nope")[1]
    )
    assert "Unknown tenant" in import_file(path, "--tenant", "nope")[1]
    assert (
        "Cannot read" in import_file(tmp_path / "missing.csv", "--tenant", "sakura")[1]
    )


def test_quiet_import_prints_nothing(tenant, tmp_path):
    path = write(tmp_path, HEADER + "Aiko,Tanaka,,,,\n")
    assert import_file(path, "--tenant", "sakura", "-v", "0") == ("", "")


def test_import_inserts_in_batches(
    tenant, acme, monkeypatch, django_assert_max_num_queries
):
    """Bulk inserts: the query count grows with batches, not with rows."""
    rows = "".join(f"C{i},Name,c{i}@example.com,,Co{i % 3},\n" for i in range(50))
    stream = io.BytesIO((HEADER + rows).encode())
    admin = factories.administrator(tenant)
    # Companies load (1), then per batch of 20: savepoint, companies, contacts,
    # release (4 x 3 batches), and the audit entry (+ its content type).
    with django_assert_max_num_queries(16):
        result = imports.import_contacts(
            stream, tenant=tenant, partition=acme, actor=admin, batch_size=20
        )
    assert (result.imported, result.companies_created) == (50, 3)
    assert Contact.objects.filter(partition=acme).count() == 50


def test_import_refuses_a_partition_of_another_tenant(tenant, other_tenant):
    foreign = factories.ClientPartitionFactory(tenant=other_tenant, name="Contoso")
    with pytest.raises(imports.ContactImportError, match="another tenant"):
        imports.import_contacts(
            io.BytesIO(HEADER.encode()),
            tenant=tenant,
            partition=foreign,
            actor=factories.administrator(tenant),
        )


def test_export_then_import_into_another_tenant_gives_the_same_contacts(
    tenant, other_tenant, tmp_path
):
    acme = factories.client_with_data(tenant, "Acme", contacts=5, companies=2)
    Contact.objects.filter(pk=Contact.objects.filter(partition=acme).first().pk).update(
        first_name="山田", title="部長", phone=""
    )
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
    call_command(
        "partitions",
        "add",
        "--tenant",
        other_tenant.slug,
        "--name",
        "Acme",
        stdout=io.StringIO(),
    )

    _out, err = import_file(
        tmp_path / "contacts.csv", "--tenant", other_tenant.slug, "--partition", "Acme"
    )

    assert err == ""

    def snapshot(t):
        return sorted(
            (
                c.first_name,
                c.last_name,
                c.title,
                c.email,
                c.phone,
                c.company.name if c.company else "",
            )
            for c in Contact.objects.filter(tenant=t).select_related("company")
        )

    assert snapshot(other_tenant) == snapshot(tenant)
    assert len(snapshot(other_tenant)) == 5
    copied = Contact.objects.filter(tenant=other_tenant)
    assert {c.partition.name for c in copied} == {"Acme"}
    assert {c.company.tenant_id for c in copied if c.company} == {other_tenant.pk}
