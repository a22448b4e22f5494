"""`manage.py partitions`: list, add, enable, disable, delete, export."""

import csv
import io
import json
import zipfile
from pathlib import Path

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from wcwidth import wcswidth

from ccadmin.audit import EXPORT, change_message_fields
from ccadmin.cli import SYSTEM_USERNAME, system_user
from contacts.models import Activity, Company, Contact, Email
from partitions.limit import ClientPartitionLimitReached, partition_usage
from partitions.models import ClientPartition
from tests import factories

SENTENCE = (
    "Are you absolutely sure you want to delete {} including all contacts, emails, "
    "activity history belonging to this client?"
)


class FakeTerminal(io.StringIO):
    """Standard input that says it is a terminal, with the administrator's answer."""

    def isatty(self) -> bool:
        return True


class Pipe(io.StringIO):
    """Standard input of a script: not a terminal."""

    def isatty(self) -> bool:
        return False


def run(*args, stdin=None) -> tuple[str, str]:
    out, err = io.StringIO(), io.StringIO()
    options = {"stdout": out, "stderr": err}
    if stdin is not None:
        options["stdin"] = stdin
    call_command("partitions", *args, **options)
    return out.getvalue(), err.getvalue()


def entries_for(partition_pk: int) -> list[LogEntry]:
    return list(
        LogEntry.objects.filter(
            content_type__model="clientpartition", object_id=str(partition_pk)
        ).order_by("pk")
    )


@pytest.fixture
def tenant(db):
    return factories.TenantFactory(name="Sakura BPO", slug="sakura")


# ----- list --------------------------------------------------------------------------


def test_list_table_shows_each_partition_with_counts_and_usage(
    tenant, other_tenant, settings
):
    settings.CLIENT_PARTITION_LIMIT = 5
    acme = factories.client_with_data(tenant, "Acme", contacts=3)
    factories.ServiceFactory.create_batch(2, tenant=tenant, client_partition=acme)
    factories.ClientPartitionFactory(tenant=tenant, name="さくら銀行", enabled=False)
    factories.ClientPartitionFactory(tenant=other_tenant, name="Contoso")

    out, _err = run("list", "--tenant", "sakura")

    lines = out.splitlines()
    assert lines[0] == "Sakura BPO (sakura)"
    assert lines[1].split() == ["Name", "Enabled", "Services", "Contacts"]
    assert lines[2].split() == ["Acme", "yes", "2", "3"]
    assert lines[3].split() == ["さくら銀行", "no", "0", "0"]
    assert lines[4].strip() == "2 of 5 client partitions used"
    assert "Contoso" not in out


def test_list_aligns_columns_by_display_width(tenant):
    # Wide Japanese, half-width katakana, Thai with combining marks (no width) and
    # plain Latin: each column starts at the same terminal column on every line.
    names = ["さくら銀行コールセンター", "ｻｸﾗ ﾃﾚｺﾑ", "สุขสันต์ Travel", "Acme"]
    for name in names:
        factories.ClientPartitionFactory(tenant=tenant, name=name)

    out, _err = run("list", "--tenant", "sakura")

    table = out.splitlines()[1:6]
    starts = set()
    for line in table:
        for word in ("Enabled", "yes"):
            if word in line:
                starts.add(wcswidth(line[: line.index(word)]))
    assert len(starts) == 1, table
    assert starts == {2 + wcswidth("さくら銀行コールセンター") + 2}


def test_list_json_covers_every_tenant(tenant, other_tenant):
    factories.client_with_data(tenant, "Acme", contacts=2)
    factories.ClientPartitionFactory(tenant=other_tenant, name="Contoso")

    out, _err = run("list", "--format", "json")

    report = {entry["tenant"]["slug"]: entry for entry in json.loads(out)}
    assert report["sakura"]["client_partitions"] == [
        {
            "name": "Acme",
            "enabled": True,
            "services": 0,
            "contacts": 2,
            "description": "Customer service for this client.",
        }
    ]
    assert report["sakura"]["usage"] == "1 of 20 client partitions used"
    assert report[other_tenant.slug]["client_partitions"][0]["name"] == "Contoso"


def test_list_query_count_does_not_grow_with_partitions(
    tenant, django_assert_max_num_queries
):
    factories.ClientPartitionFactory.create_batch(3, tenant=tenant)
    with django_assert_max_num_queries(4) as few:
        run("list", "--tenant", "sakura")
    factories.ClientPartitionFactory.create_batch(10, tenant=tenant)
    with django_assert_max_num_queries(len(few.captured_queries)):
        run("list", "--tenant", "sakura")


def test_quiet_list_prints_nothing(tenant):
    factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    assert run("list", "-v", "0") == ("", "")


def test_unknown_tenant_is_one_clear_error(tenant):
    with pytest.raises(CommandError, match=r'Unknown tenant "nowhere" \(known'):
        run("list", "--tenant", "nowhere")


def test_tenant_found_by_name_ignoring_case(tenant):
    out, _ = run("add", "--tenant", "SAKURA bpo", "--name", "Acme")
    assert ClientPartition.objects.get(tenant=tenant).name == "Acme"
    assert "added to Sakura BPO" in out


def test_ambiguous_tenant_is_refused(db):
    factories.TenantFactory(name="Acme Contact Center", slug="acme")
    factories.TenantFactory(name="acme", slug="acme-jp")
    with pytest.raises(CommandError, match="names more than one tenant"):
        run("add", "--tenant", "acme", "--name", "Globex")
    assert not ClientPartition.objects.exists()


# ----- add ---------------------------------------------------------------------------


def test_add_creates_and_audits_under_the_system_account(tenant):
    out, _ = run(
        "add", "--tenant", "sakura", "--name", "Acme", "--description", "Claims"
    )

    partition = ClientPartition.objects.get(tenant=tenant)
    assert (partition.name, partition.description, partition.enabled) == (
        "Acme",
        "Claims",
        True,
    )
    assert out.strip() == (
        'Client partition "Acme" added to Sakura BPO (1 of 20 client partitions used).'
    )
    [entry] = entries_for(partition.pk)
    assert entry.action_flag == ADDITION
    assert entry.user.username == SYSTEM_USERNAME


def test_system_account_is_created_once_and_cannot_sign_in(tenant):
    run("add", "--tenant", "sakura", "--name", "Acme")
    run("add", "--tenant", "sakura", "--name", "Globex")
    user = system_user()
    assert user.username == SYSTEM_USERNAME
    assert not user.is_active
    assert not user.has_usable_password()
    assert type(user).objects.filter(username=SYSTEM_USERNAME).count() == 1


def test_add_disabled_by_a_named_user(tenant, admin_user):
    run(
        "add",
        "--tenant",
        "sakura",
        "--name",
        "Initech",
        "--disabled",
        "--user",
        admin_user.username,
    )
    partition = ClientPartition.objects.get(tenant=tenant)
    assert partition.enabled is False
    assert entries_for(partition.pk)[0].user == admin_user


def test_add_refuses_unknown_user_and_other_tenants_administrator(tenant, other_tenant):
    outsider = factories.administrator(other_tenant)
    with pytest.raises(CommandError, match='Unknown user "ghost"'):
        run("add", "--tenant", "sakura", "--name", "Acme", "--user", "ghost")
    with pytest.raises(CommandError, match="does not work for the tenant"):
        run("add", "--tenant", "sakura", "--name", "Acme", "--user", outsider.username)
    assert not ClientPartition.objects.exists()


def test_add_at_the_limit_is_refused_with_the_admins_message(tenant):
    tenant.client_partition_limit = 2
    tenant.save()
    factories.ClientPartitionFactory.create_batch(2, tenant=tenant)
    expected = str(ClientPartitionLimitReached(partition_usage(tenant)))

    with pytest.raises(CommandError) as refused:
        run("add", "--tenant", "sakura", "--name", "One Too Many")

    assert str(refused.value) == expected
    assert "2 of 2 client partitions used" in expected
    assert ClientPartition.objects.filter(tenant=tenant).count() == 2
    assert not LogEntry.objects.filter(action_flag=ADDITION).exists()


def test_add_without_a_name_is_a_usage_error(tenant):
    with pytest.raises(CommandError, match="required: --name"):
        run("add", "--tenant", "sakura")


# ----- enable / disable --------------------------------------------------------------


def test_disable_then_enable_audits_each_change(tenant):
    partition = factories.ClientPartitionFactory(tenant=tenant, name="Acme")

    out, _ = run("disable", "acme", "--tenant", "sakura")
    partition.refresh_from_db()
    assert partition.enabled is False
    assert out.strip().startswith('Disabled 1 client partition: "Acme".')

    out, _ = run("disable", "Acme", "--tenant", "sakura")
    assert '"Acme" was already disabled.' in out

    run("enable", "Acme", "--tenant", "sakura")
    partition.refresh_from_db()
    assert partition.enabled is True
    entries = entries_for(partition.pk)
    assert [e.action_flag for e in entries] == [CHANGE, CHANGE]
    assert [change_message_fields(e) for e in entries] == [["Enabled"], ["Enabled"]]


def test_enable_unknown_partition_or_other_tenants_is_refused(tenant, other_tenant):
    factories.ClientPartitionFactory(tenant=other_tenant, name="Contoso")
    with pytest.raises(CommandError, match='no client partition named "Contoso"'):
        run("enable", "Contoso", "--tenant", "sakura")


# ----- delete ------------------------------------------------------------------------


def test_delete_asks_and_deletes_on_yes(tenant):
    acme = factories.client_with_data(tenant, "Acme", contacts=3, companies=2)
    kept = factories.client_with_data(tenant, "Globex", contacts=2)
    service = factories.ServiceFactory(
        tenant=tenant, name="Acme Line", client_partition=acme
    )

    out, _ = run("delete", "Acme", "--tenant", "sakura", stdin=FakeTerminal("yes\n"))

    assert SENTENCE.format("Acme") in out
    assert "Contacts: 3" in out
    assert "Companies: 2" in out
    assert "Emails: 3" in out
    assert "Activity history entries: 6" in out
    assert "Services unassigned (not deleted): Acme Line" in out
    assert "Type 'yes' to delete" in out
    assert 'Client partition "Acme" deleted: 3 contacts' in out
    assert not ClientPartition.objects.filter(pk=acme.pk).exists()
    assert Contact.objects.filter(partition=kept).count() == 2
    service.refresh_from_db()
    assert service.client_partition is None
    [entry] = entries_for(acme.pk)
    assert entry.action_flag == DELETION
    assert "3 contacts" in entry.change_message


@pytest.mark.parametrize("answer", ["no\n", "\n", "y\n", ""])
def test_delete_keeps_everything_unless_the_answer_is_yes(tenant, answer):
    acme = factories.client_with_data(tenant, "Acme", contacts=2)

    # Cancelled is a non-zero exit (CommandError), so `&&` in a script stops.
    with pytest.raises(CommandError, match="Deletion cancelled: nothing was deleted"):
        run("delete", "Acme", "--tenant", "sakura", stdin=FakeTerminal(answer))

    assert ClientPartition.objects.filter(pk=acme.pk).exists()
    assert Contact.objects.filter(partition=acme).count() == 2
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def test_delete_without_a_terminal_refuses(tenant):
    acme = factories.client_with_data(tenant, "Acme", contacts=2)
    with pytest.raises(CommandError, match="Refusing to delete without a terminal"):
        run("delete", "Acme", "--tenant", "sakura", stdin=Pipe("yes\n"))
    assert ClientPartition.objects.filter(pk=acme.pk).exists()


def test_delete_noinput_deletes_from_a_script(tenant, admin_user):
    acme = factories.client_with_data(tenant, "Acme", contacts=2)

    out, _ = run(
        "delete",
        "Acme",
        "--tenant",
        "sakura",
        "--noinput",
        "--user",
        admin_user.username,
        stdin=Pipe(""),
    )

    assert not ClientPartition.objects.filter(pk=acme.pk).exists()
    assert not Contact.objects.filter(tenant=tenant).exists()
    assert 'Client partition "Acme" deleted: 2 contacts' in out
    # Nobody answers with --noinput: no question, no prompt.
    assert "Are you absolutely sure" not in out
    assert "Type 'yes'" not in out
    assert entries_for(acme.pk)[0].user == admin_user


def test_quiet_noinput_delete_prints_nothing(tenant):
    factories.client_with_data(tenant, "Acme", contacts=1)
    assert run("delete", "Acme", "--tenant", "sakura", "--noinput", "-v", "0") == (
        "",
        "",
    )
    assert not ClientPartition.objects.exists()


# ----- export ------------------------------------------------------------------------


def read_csv(archive: zipfile.ZipFile, name: str) -> list[dict[str, str]]:
    with archive.open(name) as raw:
        return list(csv.DictReader(io.TextIOWrapper(raw, encoding="utf-8-sig")))


def test_export_matches_the_database_row_for_row(tenant, tmp_path):
    acme = factories.client_with_data(tenant, "Acme", contacts=4, companies=2)
    factories.client_with_data(tenant, "Globex", contacts=2)  # not exported
    Contact.objects.filter(partition=acme).update(first_name="山田", title="部長")
    line = factories.ServiceFactory(tenant=tenant, name="Acme", client_partition=acme)
    Activity.objects.filter(partition=acme).update(service=line)
    target = tmp_path / "acme.zip"

    out, _ = run("export", "Acme", "--tenant", "sakura", "--output", str(target))

    assert 'Exported "Acme" to' in out
    with zipfile.ZipFile(target) as archive:
        assert archive.testzip() is None
        manifest = json.loads(archive.read("manifest.json"))
        contacts = read_csv(archive, "contacts.csv")
        companies = read_csv(archive, "companies.csv")
        emails = read_csv(archive, "emails.csv")
        activities = read_csv(archive, "activity_history.csv")
        services = read_csv(archive, "services.csv")

    expected_contacts = [
        {
            "id": str(c.pk),
            "first name": c.first_name,
            "last name": c.last_name,
            "title": c.title,
            "email": c.email,
            "phone": c.phone,
            "mobile": c.mobile,
            "company": c.company.name if c.company else "",
            "company id": str(c.company_id or ""),
            "created at": c.created_at.isoformat(),
        }
        for c in Contact.objects.filter(partition=acme).order_by("pk")
    ]
    assert contacts == expected_contacts
    assert contacts[0]["first name"] == "山田"
    assert companies == [
        {"id": str(c.pk), "name": c.name}
        for c in Company.objects.filter(partition=acme).order_by("pk")
    ]
    assert emails == [
        {
            "id": str(e.pk),
            "direction": e.direction,
            "sender": e.sender,
            "recipients": e.recipients,
            "subject": e.subject,
            "body": e.body,
            "message id": e.message_id,
            "service": "",
            "contact id": str(e.contact_id),
            "sent at": e.sent_at.isoformat(),
            "attachments": "[]",
            "notes": "",
        }
        for e in Email.objects.filter(partition=acme).order_by("pk")
    ]
    assert activities == [
        {
            "id": str(a.pk),
            "channel": a.channel,
            "direction": a.direction,
            "service": "Acme",
            "contact id": str(a.contact_id),
            "email id": str(a.email_id or ""),
            "occurred at": a.occurred_at.isoformat(),
            "summary": a.summary,
        }
        for a in Activity.objects.filter(partition=acme).order_by("pk")
    ]
    assert services == [{"id": str(line.pk), "name": "Acme", "type": line.type}]
    assert manifest["counts"] == {
        "contacts": 4,
        "companies": 2,
        "emails": 4,
        "activities": 8,
        "services": 1,
        "original_emails": 0,
    }
    assert manifest["client_partition"]["name"] == "Acme"
    assert manifest["tenant"] == {"slug": "sakura", "name": "Sakura BPO"}
    assert manifest["exported_at"]
    assert manifest["exported_by"] == SYSTEM_USERNAME
    [entry] = entries_for(acme.pk)
    assert entry.action_flag == EXPORT
    assert entry.change_message.startswith("Exported the client's data: 4 contacts")


def test_export_reads_every_table_in_chunks(tenant, tmp_path, monkeypatch):
    """Memory stays flat: each table is read through iterator(chunk_size), never
    loaded whole into a list."""
    from django.db.models.query import QuerySet

    from contacts import partition_data
    from partitions import export

    monkeypatch.setattr(export, "CHUNK_SIZE", 2)
    factories.client_with_data(tenant, "Acme", contacts=5)
    chunked = []
    original = QuerySet.iterator

    def spy(self, chunk_size=None):
        chunked.append((self.model.__name__, chunk_size))
        return original(self, chunk_size=chunk_size)

    monkeypatch.setattr(QuerySet, "iterator", spy)
    run("export", "Acme", "--tenant", "sakura", "-o", str(tmp_path / "a.zip"))

    assert chunked == [
        ("Contact", 2),
        ("Company", 2),
        ("Email", 2),
        ("Activity", 2),
        ("Service", 2),
        # The original messages, fewer per chunk: each may be megabytes.
        ("EmailSource", partition_data.SOURCE_CHUNK_SIZE),
    ]
    with zipfile.ZipFile(tmp_path / "a.zip") as archive:
        assert len(read_csv(archive, "contacts.csv")) == 5
        assert len(read_csv(archive, "activity_history.csv")) == 10


@pytest.mark.parametrize("name", ["acme.csv", "acme", "acme.zip.tmp"])
def test_export_and_offboard_write_only_to_a_zip(tenant, tmp_path, name):
    factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    for subcommand in ("export", "offboard"):
        with pytest.raises(CommandError, match=r"name ending in \.zip"):
            run(subcommand, "Acme", "--tenant", "sakura", "-o", str(tmp_path / name))
    assert not list(tmp_path.iterdir())
    assert ClientPartition.objects.get(name="Acme").enabled  # not offboarded


def test_export_refuses_to_overwrite_and_bad_paths(tenant, tmp_path):
    factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    existing = tmp_path / "acme.zip"
    existing.write_bytes(b"keep me")
    with pytest.raises(CommandError, match="already exists"):
        run("export", "Acme", "--tenant", "sakura", "-o", str(existing))
    assert existing.read_bytes() == b"keep me"
    with pytest.raises(CommandError, match="no such directory"):
        run("export", "Acme", "--tenant", "sakura", "-o", str(tmp_path / "no/a.zip"))
    run("export", "Acme", "--tenant", "sakura", "-o", str(existing), "--overwrite")
    assert zipfile.is_zipfile(existing)
    assert sorted(p.name for p in Path(tmp_path).iterdir()) == ["acme.zip"]
