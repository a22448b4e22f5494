"""A data subject's requests (issue 12, item 3): export and erasure of everything a
tenant holds of one person, found by email address or phone number across clients,
from `manage.py data_subject` and from the contact's admin pages."""

import csv
import io
import json
import zipfile

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse

from ccadmin import audit
from ccadmin.audit import EXPORT
from contacts import actions
from contacts.data_subject import (
    DataSubjectRefused,
    export_subject,
    records_of,
    subject_of,
)
from contacts.models import Activity, Contact, Email, EmailSource, ErasureCertificate
from partitions import actions as partition_actions
from partitions.models import ClientPartition
from tests import factories

EMAIL = "taro.yamada@example.jp"
PHONE = "+819011112222"


class FakeTerminal(io.StringIO):
    """Standard input that says it is a terminal, with the operator's answer."""

    def isatty(self) -> bool:
        return True


class Pipe(io.StringIO):
    """Standard input of a script: not a terminal."""

    def isatty(self) -> bool:
        return False


def run(*args, stdin=None) -> str:
    out = io.StringIO()
    options = {"stdout": out, "stderr": io.StringIO()}
    if stdin is not None:
        options["stdin"] = stdin
    call_command("data_subject", *args, **options)
    return out.getvalue()


@pytest.fixture
def tenant(db):
    return factories.TenantFactory(name="Sakura BPO", slug="sakura")


@pytest.fixture
def acme(tenant):
    return factories.ClientPartitionFactory(tenant=tenant, name="Acme")


@pytest.fixture
def globex(tenant):
    return factories.ClientPartitionFactory(tenant=tenant, name="Globex")


def history(contact, *, source: bool = False, subject: str = "Question") -> Email:
    """An email from the contact, its activity entry, and a call."""
    fields = {"partition": contact.partition, "contact": contact, "subject": subject}
    if source:
        email = factories.email_with_source(contact.tenant, **fields)
    else:
        email = factories.EmailFactory(tenant=contact.tenant, **fields)
    factories.ActivityFactory(
        tenant=contact.tenant,
        partition=contact.partition,
        contact=contact,
        email=email,
        channel=Activity.Channel.EMAIL,
    )
    factories.ActivityFactory(
        tenant=contact.tenant, partition=contact.partition, contact=contact
    )
    return email


@pytest.fixture
def taro(tenant, acme, globex, other_tenant):
    """The subject, Taro Yamada, as three contacts typed three ways: in Acme (email
    and phone), in Globex (email only, upper case) and in no client (phone only,
    international format); and bystanders: another contact in Acme, a client with
    its own data, and a Taro of another tenant with the same address and number."""
    in_acme = factories.ContactFactory(
        tenant=tenant,
        partition=acme,
        first_name="Taro",
        last_name="Yamada",
        email=" Taro.Yamada@Example.JP ",
        phone="090-1111-2222",
    )
    in_globex = factories.ContactFactory(
        tenant=tenant,
        partition=globex,
        first_name="Taro",
        last_name="Yamada",
        email="TARO.YAMADA@EXAMPLE.JP",
        phone="",
    )
    no_client = factories.ContactFactory(
        tenant=tenant,
        partition=None,
        first_name="",
        last_name="山田 太郎",
        email="",
        phone="+81 90 1111 2222",
    )
    history(in_acme, source=True)
    history(in_globex)
    history(no_client)
    bystander = factories.ContactFactory(
        tenant=tenant, partition=acme, first_name="Hanako", last_name="Sato"
    )
    history(bystander, source=True)
    factories.client_with_data(tenant, "Initech")
    foreign = factories.ContactFactory(
        tenant=other_tenant,
        first_name="Taro",
        last_name="Yamada",
        email=EMAIL,
        phone=PHONE,
    )
    history(foreign)
    return {"acme": in_acme, "globex": in_globex, "none": no_client}


def per_contact_counts() -> dict[int, tuple[int, int]]:
    """(emails, activity entries) of every contact in the database."""
    return {
        contact.pk: (contact.emails.count(), contact.activities.count())
        for contact in Contact.objects.all()
    }


def set_legal_hold(monkeypatch, partition: ClientPartition) -> None:
    """Put one client on legal hold (ClientPartition.legal_hold)."""
    ClientPartition.objects.filter(pk=partition.pk).update(
        legal_hold=True, legal_hold_reason="Litigation 2026-17"
    )


# ----- finding the subject ------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "expected"),
    [
        ({"email": "taro.yamada@example.jp"}, {"acme", "globex"}),
        ({"email": "  TARO.Yamada@EXAMPLE.jp "}, {"acme", "globex"}),
        ({"phone": "090-1111-2222"}, {"acme", "none"}),
        ({"phone": "+81 90 1111 2222"}, {"acme", "none"}),
        ({"phone": "09011112222"}, {"acme", "none"}),
    ],
)
def test_finds_contacts_across_clients_and_none_case_and_format_insensitive(
    tenant, taro, typed, expected
):
    subject = subject_of(tenant, **typed)

    found = set(subject.contacts().values_list("pk", flat=True))

    assert found == {taro[key].pk for key in expected}


def test_another_tenants_subject_is_not_found(tenant, other_tenant, taro):
    subject = subject_of(tenant, email=EMAIL)
    theirs = Contact.objects.get(tenant=other_tenant)

    assert theirs.pk not in set(subject.contacts().values_list("pk", flat=True))
    assert subject_of(tenant, email="nobody@example.jp").contacts().count() == 0


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ({}, "Name the person by an email address or a phone number"),
        ({"email": "a@example.jp", "phone": "0311112222"}, "one of them"),
        ({"email": "not an address"}, "is not an email address"),
        ({"phone": "call me maybe"}, "Enter a phone number"),
    ],
)
def test_bad_identifiers_are_refused(tenant, typed, message):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError, match=message):
        subject_of(tenant, **typed)


def test_records_follow_emails_and_activity_of_the_contacts(tenant, taro):
    records = records_of(subject_of(tenant, email=EMAIL))

    assert records.counts == {
        "contacts": 2,
        "emails": 2,
        "email_sources": 1,
        "activities": 4,
    }
    assert records.has_no_client is False


# ----- export -----------------------------------------------------------------------


def test_export_zip_holds_contacts_emails_history_as_csv_and_json(
    tenant, taro, admin_user, tmp_path
):
    path = tmp_path / "taro.zip"

    out = run(
        "export",
        "--tenant",
        "sakura",
        "--phone",
        "090 1111 2222",
        "--output",
        str(path),
        "--user",
        admin_user.username,
    )

    assert "Exported 2 contacts, 2 emails, 4 activity entries" in out
    with zipfile.ZipFile(path) as archive:
        names = set(archive.namelist())
        manifest = json.loads(archive.read("manifest.json"))
        contacts = list(
            csv.DictReader(
                io.StringIO(archive.read("contacts.csv").decode("utf-8-sig"))
            )
        )
        emails_json = json.loads(archive.read("emails.json"))
        activities_json = json.loads(archive.read("activities.json"))
        eml = archive.read(f"emails/{taro['acme'].emails.get().pk}.eml")
    assert names == {
        "manifest.json",
        "contacts.csv",
        "contacts.json",
        "emails.csv",
        "emails.json",
        "activities.csv",
        "activities.json",
        f"emails/{taro['acme'].emails.get().pk}.eml",
    }
    assert manifest["counts"] == {
        "contacts": 2,
        "emails": 2,
        "email_sources": 1,
        "activities": 4,
    }
    assert manifest["exported_by"] == admin_user.username
    assert manifest["identified_by"] == "phone"
    assert sorted(int(row["id"]) for row in contacts) == sorted(
        [taro["acme"].pk, taro["none"].pk]
    )
    assert {row["client partition"] for row in contacts} == {"Acme", ""}
    assert {row["contact id"] for row in emails_json} == {
        taro["acme"].pk,
        taro["none"].pk,
    }
    assert len(activities_json) == 4
    assert eml == EmailSource.objects.get(email__contact=taro["acme"]).raw()


def test_export_cells_are_spreadsheet_safe(tenant, acme):
    factories.ContactFactory(
        tenant=tenant, partition=acme, first_name="=HYPERLINK(1)", email=EMAIL
    )
    buffer = io.BytesIO()

    export_subject(subject_of(tenant, email=EMAIL), buffer, actor=None)

    with zipfile.ZipFile(buffer) as archive:
        text = archive.read("contacts.csv").decode("utf-8-sig")
        data = json.loads(archive.read("contacts.json"))
    assert "'=HYPERLINK(1)" in text
    assert data[0]["first name"] == "=HYPERLINK(1)"  # JSON is data, not a sheet


def test_export_is_audited_without_the_identifier(tenant, taro, tmp_path):
    before = LogEntry.objects.count()

    run(
        "export",
        "--tenant",
        "sakura",
        "--email",
        EMAIL,
        "--output",
        str(tmp_path / "x.zip"),
    )

    entry = LogEntry.objects.order_by("-pk").first()
    assert LogEntry.objects.count() == before + 1
    assert "Exported a data subject's data (found by email address)" in (
        entry.change_message
    )
    assert "2 contacts" in entry.change_message
    assert entry.action_flag == EXPORT
    assert EMAIL not in entry.change_message + entry.object_repr
    assert "Yamada" not in entry.change_message + entry.object_repr


def test_export_refuses_an_existing_file(tenant, taro, tmp_path):
    path = tmp_path / "x.zip"
    path.write_bytes(b"keep me")

    with pytest.raises(CommandError, match="exists"):
        run("export", "--tenant", "sakura", "--email", EMAIL, "--output", str(path))

    assert path.read_bytes() == b"keep me"


# ----- erasure ----------------------------------------------------------------------


def test_erase_deletes_exactly_the_subjects_rows(tenant, taro):
    subject_ids = {taro["acme"].pk, taro["globex"].pk}
    others_before = {
        pk: counts
        for pk, counts in per_contact_counts().items()
        if pk not in subject_ids
    }
    emails = Email.objects.count()
    activities = Activity.objects.count()
    sources = EmailSource.objects.count()

    out = run("erase", "--tenant", "sakura", "--email", EMAIL.upper(), "--noinput")

    assert "Erased 2 contacts, 2 emails, 4 activity entries" in out
    assert not Contact.objects.filter(pk__in=subject_ids).exists()
    assert per_contact_counts() == others_before
    assert Email.objects.count() == emails - 2
    assert Activity.objects.count() == activities - 4
    assert EmailSource.objects.count() == sources - 1
    # The contact of no client had the number, not the address: it stays.
    assert Contact.objects.filter(pk=taro["none"].pk).exists()


def test_certificate_has_counts_and_a_hash_but_never_the_identifier(tenant, taro):
    certificate = actions.erase_data_subject(
        subject_of(tenant, phone="09011112222"), actor=None
    )

    certificate.refresh_from_db()
    stored = json.dumps(
        {
            f.attname: str(getattr(certificate, f.attname))
            for f in ErasureCertificate._meta.concrete_fields
        }
    )
    assert (certificate.contacts, certificate.emails, certificate.activities) == (
        2,
        2,
        4,
    )
    assert certificate.email_sources == 1
    assert sorted(certificate.client_partition_ids) == [taro["acme"].partition_id]
    for secret in (PHONE, "9011112222", "Yamada", "山田", EMAIL):
        assert secret not in stored
    assert certificate.matches("phone", PHONE)
    assert not certificate.matches("phone", "+819099998888")
    assert not certificate.matches("email", PHONE)


def test_two_certificates_of_one_person_cannot_be_linked(tenant, acme):
    for _round in range(2):
        factories.ContactFactory(tenant=tenant, partition=acme, email=EMAIL)
        actions.erase_data_subject(subject_of(tenant, email=EMAIL), actor=None)

    first, second = ErasureCertificate.objects.order_by("pk")
    assert first.salt != second.salt
    assert first.identifier_hash != second.identifier_hash


def test_erasure_scrubs_the_audit_trail_and_is_audited_without_the_identifier(
    tenant, taro, admin_user, other_tenant
):
    contact = taro["acme"]
    contact.title = "Manager"
    actions.change_contact(contact, actor=admin_user)
    contact.email = "taro@old.example.jp"
    actions.change_contact(contact, actor=admin_user)
    contact.email = EMAIL
    actions.change_contact(contact, actor=admin_user)
    # An entry about something else that names the person.
    acme = taro["acme"].partition
    audit.log_event(admin_user, acme, f"Called back Taro Yamada at {EMAIL} today")
    audit.log_event(admin_user, acme, "Left a message on 090-1111-2222")
    # Another tenant's entry naming their own Taro Yamada: not this tenant's to touch.
    theirs = audit.log_event(None, other_tenant, "Taro Yamada called")
    unrelated = audit.log_event(admin_user, acme, "Renamed the queue")

    actions.erase_data_subject(subject_of(tenant, email=EMAIL), actor=admin_user)

    entries = LogEntry.objects.filter(audit_scope__tenant_id=tenant.pk)
    text = " ".join(e.object_repr + " " + e.change_message for e in entries)
    assert EMAIL not in text.lower()
    assert "taro@old.example.jp" not in text
    assert "Taro Yamada" not in text
    assert "+819011112222" not in text
    about_contact = entries.filter(
        content_type__model="contact", object_id=str(contact.pk)
    )
    assert about_contact.count() == 3
    for entry in about_contact:
        assert entry.object_repr == audit.ERASED
    changed = [audit.change_message_fields(e) for e in about_contact]
    assert ["Email"] in changed  # what changed is still there, not the values
    assert audit.change_values(about_contact.filter(action_flag=2).last()) == {}
    assert LogEntry.objects.get(pk=theirs.pk).change_message == "Taro Yamada called"
    assert LogEntry.objects.get(pk=unrelated.pk).change_message == "Renamed the queue"
    called = LogEntry.objects.filter(change_message__startswith="Called back").get()
    assert called.change_message == "Called back [erased] at [erased] today"
    assert LogEntry.objects.filter(change_message="Left a message on [erased]").exists()
    last = LogEntry.objects.order_by("-pk").first()
    assert last.content_type.model == "erasurecertificate"
    assert "Erased a data subject's data (found by email address)" in (
        last.change_message
    )
    assert last.user_id == admin_user.pk


def test_erase_asks_on_a_terminal_and_erases_on_yes(tenant, taro):
    out = run(
        "erase", "--tenant", "sakura", "--email", EMAIL, stdin=FakeTerminal("yes\n")
    )

    assert "2 contacts, 2 emails (1 original message), 4 activity entries" in out
    assert "Type 'yes' to erase" in out
    assert not Contact.objects.filter(email=EMAIL, tenant=tenant).exists()


@pytest.mark.parametrize("answer", ["no\n", "\n", "y\n"])
def test_erase_keeps_everything_unless_the_answer_is_yes(tenant, taro, answer):
    before = per_contact_counts()

    # A cancelled erasure exits non-zero (CommandError), so a script stops there.
    with pytest.raises(CommandError, match="Erasure cancelled: nothing was erased"):
        run("erase", "--tenant", "sakura", "--email", EMAIL, stdin=FakeTerminal(answer))

    assert per_contact_counts() == before
    assert not ErasureCertificate.objects.exists()


def test_noinput_erase_does_not_print_the_question(tenant, taro):
    out = run("erase", "--tenant", "sakura", "--email", EMAIL, "--noinput")
    assert "Erased 2 contacts" in out
    assert "Erase everything" not in out
    assert "Type 'yes'" not in out


def test_export_must_be_written_to_a_zip(tenant, taro, tmp_path):
    with pytest.raises(CommandError, match=r"name ending in \.zip"):
        run("export", "--tenant", "sakura", "--email", EMAIL, "--output",
            str(tmp_path / "taro.csv"))  # fmt: skip
    assert not (tmp_path / "taro.csv").exists()


def test_erase_without_a_terminal_refuses_unless_noinput(tenant, taro):
    before = per_contact_counts()

    with pytest.raises(CommandError, match="Refusing to erase without a terminal"):
        run("erase", "--tenant", "sakura", "--email", EMAIL, stdin=Pipe("yes\n"))

    assert per_contact_counts() == before


def test_erase_of_nobody_is_refused_and_leaves_no_certificate(tenant, taro):
    with pytest.raises(CommandError, match="nothing to erase"):
        run("erase", "--tenant", "sakura", "--email", "nobody@example.jp", "--noinput")

    assert not ErasureCertificate.objects.exists()


def test_another_tenants_subject_is_not_erased(tenant, other_tenant, taro):
    theirs = per_contact_counts()
    theirs = {
        pk: c
        for pk, c in theirs.items()
        if Contact.objects.get(pk=pk).tenant_id == other_tenant.pk
    }

    run("erase", "--tenant", "sakura", "--email", EMAIL, "--noinput")

    assert {pk: c for pk, c in per_contact_counts().items() if pk in theirs} == theirs


# ----- refusals ---------------------------------------------------------------------


@pytest.mark.parametrize("step", ["export", "erase"])
def test_refused_while_a_client_involved_is_on_legal_hold(
    tenant, taro, monkeypatch, tmp_path, step
):
    set_legal_hold(monkeypatch, taro["globex"].partition)
    before = per_contact_counts()
    entries = LogEntry.objects.count()
    args = ["--output", str(tmp_path / "x.zip")] if step == "export" else ["--noinput"]

    with pytest.raises(CommandError, match='"Globex" is on legal hold'):
        run(step, "--tenant", "sakura", "--email", EMAIL, *args)

    assert per_contact_counts() == before
    assert LogEntry.objects.count() == entries
    assert not (tmp_path / "x.zip").exists()
    # A subject with no record in the held client is not held up.
    run(step, "--tenant", "sakura", "--phone", PHONE, *args)


@pytest.mark.parametrize("step", ["export", "erase"])
def test_restricted_actor_is_refused_without_naming_the_other_clients(
    tenant, taro, acme, tmp_path, step
):
    supervisor = factories.client_supervisor(tenant, clients=[acme])
    before = per_contact_counts()
    args = ["--output", str(tmp_path / "x.zip")] if step == "export" else ["--noinput"]

    with pytest.raises(CommandError) as refused:
        run(
            step,
            "--tenant",
            "sakura",
            "--email",
            EMAIL,
            "--user",
            supervisor.username,
            *args,
        )

    message = str(refused.value)
    assert "outside the clients you work for" in message
    assert "Globex" not in message
    assert per_contact_counts() == before


def test_restricted_actor_may_erase_a_subject_of_their_clients_only(tenant, acme):
    supervisor = factories.client_supervisor(tenant, clients=[acme])
    mine = factories.ContactFactory(tenant=tenant, partition=acme, email=EMAIL)

    certificate = actions.erase_data_subject(
        subject_of(tenant, email=EMAIL), actor=supervisor
    )

    assert certificate.erased_by == supervisor.username
    assert not Contact.objects.filter(pk=mine.pk).exists()


def test_refusal_raised_by_the_action_changes_nothing(tenant, taro, acme):
    supervisor = factories.client_supervisor(tenant, clients=[acme])
    before = per_contact_counts()

    with pytest.raises(DataSubjectRefused):
        actions.erase_data_subject(subject_of(tenant, email=EMAIL), actor=supervisor)

    assert per_contact_counts() == before


@pytest.mark.parametrize("who", ["agent", "other_admin", "unknown"])
def test_user_must_be_an_administrator_of_the_tenant(tenant, other_tenant, taro, who):
    username = {
        "agent": lambda: factories.agent(tenant).username,
        "other_admin": lambda: factories.administrator(other_tenant).username,
        "unknown": lambda: "ghost",
    }[who]()

    with pytest.raises(CommandError):
        run(
            "erase",
            "--tenant",
            "sakura",
            "--email",
            EMAIL,
            "--noinput",
            "--user",
            username,
        )

    assert Contact.objects.filter(tenant=tenant, email=EMAIL).count() == 2


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--phone", "not a number"], "Enter a phone number"),
        (["--email", "nope"], "is not an email address"),
        (["--email", EMAIL, "--tenant", "nowhere"], "Unknown tenant"),
    ],
)
def test_bad_input_is_one_clear_error(tenant, taro, args, message):
    if "--tenant" not in args:
        args = [*args, "--tenant", "sakura"]

    with pytest.raises(CommandError, match=message):
        run("erase", *args, "--noinput")


def test_email_and_phone_together_are_a_usage_error(tenant):
    with pytest.raises(CommandError, match="not allowed with argument"):
        run("erase", "--tenant", "sakura", "--email", EMAIL, "--phone", PHONE)


# ----- admin pages -----------------------------------------------------------------


def page(contact, step: str, by: str = "email") -> str:
    return reverse(f"admin:contacts_contact_subject_{step}", args=[contact.pk]) + (
        f"?by={by}"
    )


@pytest.mark.parametrize("step", ["export", "erase"])
def test_admin_get_shows_counts_and_changes_nothing(admin_client, taro, step):
    before = per_contact_counts()
    entries = LogEntry.objects.count()

    response = admin_client.get(page(taro["acme"], step))

    assert response.status_code == 200
    text = response.content.decode()
    assert "2 contacts, 2 emails (1 original message), 4 activity entries" in text
    assert per_contact_counts() == before
    assert LogEntry.objects.count() == entries


def test_contact_page_links_to_the_subject_pages(admin_client, taro):
    url = reverse("admin:contacts_contact_change", args=[taro["acme"].pk])

    text = admin_client.get(url).content.decode()

    assert "Export this person’s data" in text or "Export this person's data" in text
    assert page(taro["acme"], "erase").split("?")[0] in text


def test_admin_export_post_downloads_the_zip(admin_client, taro):
    response = admin_client.post(page(taro["acme"], "export", "phone"), {"by": "phone"})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/zip"
    assert "data-subject-" in response["Content-Disposition"]
    with zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content))) as archive:
        assert json.loads(archive.read("manifest.json"))["counts"]["contacts"] == 2


def test_admin_erase_post_erases_and_leaves_a_certificate(admin_client, taro):
    response = admin_client.post(
        page(taro["acme"], "erase"), {"by": "email"}, follow=True
    )

    assert response.redirect_chain[-1][0] == reverse(
        "admin:contacts_contact_changelist"
    )
    assert "Erased the person’s data: 2 contacts, 2 emails" in response.text or (
        "Erased the person&#x27;s data: 2 contacts, 2 emails" in response.text
    )
    assert not Contact.objects.filter(email=EMAIL, tenant=taro["acme"].tenant).exists()
    assert ErasureCertificate.objects.get().contacts == 2


@pytest.mark.parametrize("step", ["export", "erase"])
def test_admin_post_without_csrf_is_refused(admin_user, taro, step):
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(admin_user)
    before = per_contact_counts()

    response = browser.post(page(taro["acme"], step), {"by": "email"})

    assert response.status_code == 403
    assert per_contact_counts() == before
    assert not ErasureCertificate.objects.exists()


def test_admin_restricted_supervisor_sees_the_refusal_and_no_button(tenant, taro, acme):
    browser = factories.signed_in(factories.client_supervisor(tenant, clients=[acme]))
    before = per_contact_counts()

    shown = browser.get(page(taro["acme"], "erase"))
    posted = browser.post(page(taro["acme"], "erase"), {"by": "email"})

    assert "outside the clients you work for" in shown.content.decode()
    assert "Globex" not in shown.content.decode()
    assert 'name="by"' not in shown.content.decode()
    assert posted.status_code == 200
    assert per_contact_counts() == before


def test_admin_erase_needs_the_delete_permission(tenant, taro):
    viewer = factories.administrator(tenant)
    viewer.groups.clear()
    from django.contrib.auth.models import Permission

    viewer.user_permissions.add(Permission.objects.get(codename="view_contact"))
    browser = factories.signed_in(viewer)

    assert browser.get(page(taro["acme"], "export")).status_code == 200
    assert browser.get(page(taro["acme"], "erase")).status_code == 403
    assert browser.post(page(taro["acme"], "erase"), {"by": "email"}).status_code == 403
    assert Contact.objects.filter(pk=taro["acme"].pk).exists()


def test_admin_pages_of_another_tenants_contact_are_not_found(
    admin_client, other_tenant, taro
):
    theirs = Contact.objects.get(tenant=other_tenant)

    for step in ("export", "erase"):
        assert admin_client.get(page(theirs, step)).status_code == 404
        assert admin_client.post(page(theirs, step), {"by": "email"}).status_code == 404
    assert Contact.objects.filter(pk=theirs.pk).exists()


def test_erasure_is_refused_while_a_client_involved_is_offboarding(
    tenant, taro, admin_user
):
    # Read-only until its purge, and its kept export still holds the person: the
    # purge (or a cancel, then the erasure) is the way.
    acme = taro["acme"].partition
    partition_actions.offboard_client_partition(acme, grace_days=5, actor=admin_user)
    before = per_contact_counts(), Contact.objects.count()
    with pytest.raises(DataSubjectRefused, match="being offboarded"):
        actions.erase_data_subject(subject_of(tenant, email=EMAIL), actor=admin_user)
    assert (per_contact_counts(), Contact.objects.count()) == before
    assert not ErasureCertificate.objects.exists()


def test_erasure_leaves_other_peoples_entries_that_share_one_word_of_a_name(
    tenant, acme, admin_user
):
    factories.ContactFactory(
        tenant=tenant, partition=acme, first_name="", last_name="Smith", email=EMAIL
    )
    other = audit.log_event(admin_user, acme, "Called Jane Smith back")
    actions.erase_data_subject(subject_of(tenant, email=EMAIL), actor=admin_user)
    other.refresh_from_db()
    assert other.change_message == "Called Jane Smith back"


def test_erasure_certificates_are_listed_read_only_without_the_identifier(
    tenant, taro, admin_user
):
    certificate = actions.erase_data_subject(
        subject_of(tenant, email=EMAIL), actor=admin_user
    )
    client = factories.signed_in(admin_user)
    listing = client.get("/admin/contacts/erasurecertificate/")
    page = client.get(f"/admin/contacts/erasurecertificate/{certificate.pk}/change/")
    assert listing.status_code == page.status_code == 200
    assert f"Erasure certificate {certificate.pk}" in listing.text
    assert f"contacts: {certificate.contacts}, emails: {certificate.emails}" in (
        listing.text
    )
    for text in (listing.text, page.text):
        assert EMAIL not in text.lower() and "Yamada" not in text
    assert client.get("/admin/contacts/erasurecertificate/add/").status_code == 403
    assert (
        client.post(
            f"/admin/contacts/erasurecertificate/{certificate.pk}/delete/",
            {"post": "yes"},
        ).status_code
        == 403
    )
