"""Offboarding a client (issue 13, part 1): disable, export, purge when due, cancel,
legal hold, and the deletion certificate every purge and every "x" leaves."""

import hashlib
import io
import json
import zipfile
from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.utils import timezone

from ccadmin.audit import EXPORT
from contacts import actions as contact_actions
from contacts import imports
from contacts.models import Activity, Contact
from partitions import actions
from partitions.export_store import stored_export
from partitions.models import ClientPartition, DeletionCertificate
from partitions.selectors import enabled_client_partitions
from tests import factories
from tests.live import race


@pytest.fixture
def acme(tenant):
    return factories.client_with_data(tenant, "Acme", contacts=2)


def later(days: int):
    return timezone.now() + timedelta(days=days, minutes=1)


def zip_names(path) -> dict:
    with zipfile.ZipFile(path) as archive:
        manifest = json.loads(archive.read("manifest.json"))
        hashes = {
            name: hashlib.sha256(archive.read(name)).hexdigest()
            for name in archive.namelist()
            if name != "manifest.json"
        }
    return {"manifest": manifest, "hashes": hashes}


# ----- offboard -------------------------------------------------------------------


def test_offboard_disables_exports_and_schedules_the_purge(acme, admin_user, settings):
    settings.CLIENT_PARTITION_OFFBOARDING_GRACE_DAYS = 30
    done = actions.offboard_client_partition(acme, grace_days=None, actor=admin_user)

    acme.refresh_from_db()
    assert not acme.enabled
    assert acme.is_offboarding
    assert acme.offboarding_requested_by == admin_user.username
    assert (acme.purge_due_at - acme.offboarding_requested_at) == timedelta(days=30)
    assert acme not in enabled_client_partitions(acme.tenant)
    # The kept export is the zip, its SHA-256 the one recorded.
    path = stored_export(acme)
    assert path == done.export_path
    assert (
        hashlib.sha256(path.read_bytes()).hexdigest() == acme.offboarding_export_sha256
    )
    # manifest.json gives the SHA-256 of every other file in the zip.
    content = zip_names(path)
    assert content["manifest"]["sha256"] == content["hashes"]
    assert content["manifest"]["counts"]["contacts"] == 2
    # Nothing deleted yet.
    assert Contact.objects.filter(partition=acme).count() == 2


def test_offboarding_client_is_read_only(acme, admin_user):
    actions.offboard_client_partition(acme, grace_days=5, actor=admin_user)
    contact = Contact.objects.filter(partition=acme).first()
    contact.first_name = "Changed"
    with pytest.raises(ValidationError, match="being offboarded"):
        contact_actions.change_contact(contact, actor=admin_user)
    with pytest.raises(ValidationError, match="being offboarded"):
        contact_actions.delete_contacts([contact], actor=admin_user)
    new = Contact(tenant=acme.tenant, partition=acme, first_name="New")
    with pytest.raises(ValidationError, match="being offboarded"):
        contact_actions.add_contact(new, actor=admin_user)
    acme.description = "changed"
    with pytest.raises(ValidationError, match="being offboarded"):
        actions.update_client_partition(acme, actor=admin_user, changed=["description"])
    # Enabling leaves it disabled; a legal hold may still be put on.
    changed = actions.set_client_partitions_enabled(
        ClientPartition.objects.filter(pk=acme.pk), enabled=True, actor=admin_user
    )
    assert changed == []
    acme.legal_hold, acme.legal_hold_reason = True, "Litigation 2026-17"
    actions.update_client_partition(
        acme, actor=admin_user, changed=["legal_hold", "legal_hold_reason"]
    )
    assert ClientPartition.objects.get(pk=acme.pk).legal_hold
    assert Contact.objects.get(pk=contact.pk).first_name != "Changed"


def test_no_contacts_are_imported_into_an_offboarding_client(acme, admin_user):
    actions.offboard_client_partition(acme, grace_days=5, actor=admin_user)
    csv = io.BytesIO(b"first name,last name\nNew,Person\n")
    with pytest.raises(imports.ContactImportError, match="being offboarded"):
        imports.import_contacts(
            csv, tenant=acme.tenant, partition=acme, actor=admin_user
        )
    assert Contact.objects.filter(partition=acme).count() == 2


def test_offboard_twice_and_bad_grace_are_refused(acme, admin_user):
    with pytest.raises(ValidationError, match="from 0 to 3650"):
        actions.offboard_client_partition(acme, grace_days=-1, actor=admin_user)
    assert ClientPartition.objects.get(pk=acme.pk).enabled  # nothing written
    actions.offboard_client_partition(acme, grace_days=1, actor=admin_user)
    with pytest.raises(ValidationError, match="already being offboarded"):
        actions.offboard_client_partition(acme, grace_days=1, actor=admin_user)


def test_cancel_after_export_keeps_data_disabled_and_drops_the_export(
    acme, admin_user, django_capture_on_commit_callbacks
):
    done = actions.offboard_client_partition(acme, grace_days=1, actor=admin_user)
    with django_capture_on_commit_callbacks(execute=True):
        actions.cancel_offboarding(acme, actor=admin_user)
    acme.refresh_from_db()
    assert not acme.is_offboarding and not acme.enabled
    assert acme.purge_due_at is None and not acme.offboarding_export_sha256
    assert not done.export_path.exists()
    assert Contact.objects.filter(partition=acme).count() == 2
    # Writable again; nothing is purged when the date comes.
    contact = Contact.objects.filter(partition=acme).first()
    contact.first_name = "Changed"
    contact_actions.change_contact(contact, actor=admin_user)
    report = actions.purge_due_client_partitions(now=later(2))
    assert report.purged == []
    assert ClientPartition.objects.filter(pk=acme.pk).exists()
    with pytest.raises(ValidationError, match="not being offboarded"):
        actions.cancel_offboarding(acme, actor=admin_user)


def test_offboard_again_after_cancel_then_purge_when_due(
    acme, admin_user, django_capture_on_commit_callbacks
):
    actions.offboard_client_partition(acme, grace_days=1, actor=admin_user)
    actions.cancel_offboarding(acme, actor=admin_user)
    again = actions.offboard_client_partition(acme, grace_days=3, actor=admin_user)

    # Not due yet at 2 days; due at 3.
    assert actions.purge_due_client_partitions(now=later(2)).purged == []
    with django_capture_on_commit_callbacks(execute=True):
        report = actions.purge_due_client_partitions(now=later(3))
    assert [s.name for s in report.purged] == ["Acme"]
    assert not ClientPartition.objects.filter(pk=acme.pk).exists()
    assert not Activity.objects.filter(partition_id=acme.pk).exists()
    assert not again.export_path.exists()  # the kept export goes with the data
    certificate = DeletionCertificate.objects.get(client_partition_id=acme.pk)
    assert certificate.kind == DeletionCertificate.KIND_PURGE
    assert certificate.requested_by == admin_user.username
    assert certificate.export_sha256 == again.export_sha256
    assert certificate.counts == {
        "contacts": 2,
        "companies": 2,
        "emails": 2,
        "activities": 4,
        "services": 0,
    }
    # Idempotent: a second run finds nothing.
    assert actions.purge_due_client_partitions(now=later(3)).purged == []
    assert DeletionCertificate.objects.count() == 1


def test_client_on_legal_hold_is_never_purged(acme, admin_user):
    actions.offboard_client_partition(acme, grace_days=0, actor=admin_user)
    ClientPartition.objects.filter(pk=acme.pk).update(
        legal_hold=True, legal_hold_reason="Litigation 2026-14"
    )
    report = actions.purge_due_client_partitions(now=later(1))
    assert report.purged == []
    assert report.held == [("Acme", "Litigation 2026-14")]
    assert ClientPartition.objects.filter(pk=acme.pk).exists()
    out, err = io.StringIO(), io.StringIO()
    call_command("partitions", "purge-due", stdout=out, stderr=err)
    assert '"Acme" is due but on legal hold, not purged: Litigation 2026-14' in (
        out.getvalue()
    )


@pytest.mark.django_db(transaction=True)
def test_worker_purges_when_due(tenant, admin_user):
    """The offboarding enqueues the purge for its date; the worker runs it then."""
    acme = factories.client_with_data(tenant, "Acme", contacts=1)
    actions.offboard_client_partition(acme, grace_days=0, actor=admin_user)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert not ClientPartition.objects.filter(pk=acme.pk).exists()
    assert DeletionCertificate.objects.get(client_partition_id=acme.pk).kind == "purge"


@pytest.mark.django_db(transaction=True)
def test_worker_purges_once_a_hold_is_lifted_after_the_due_date(tenant, admin_user):
    """Held at the due date, the worker's run skipped it; lifting the hold has the
    worker purge it (not only cron's purge-due)."""
    acme = factories.client_with_data(tenant, "Acme", contacts=1)
    actions.offboard_client_partition(acme, grace_days=0, actor=admin_user)
    acme.legal_hold, acme.legal_hold_reason = True, "Litigation 2026-14"
    actions.update_client_partition(
        acme, actor=admin_user, changed=["legal_hold", "legal_hold_reason"]
    )
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert ClientPartition.objects.filter(pk=acme.pk).exists()

    acme.legal_hold = False
    actions.update_client_partition(acme, actor=admin_user, changed=["legal_hold"])
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    assert not ClientPartition.objects.filter(pk=acme.pk).exists()


# ----- certificates of "x" -----------------------------------------------------------


def test_delete_by_x_leaves_a_certificate_linked_from_the_audit_trail(
    acme, admin_user, admin_client
):
    actions.delete_client_partition(acme, actor=admin_user)
    certificate = DeletionCertificate.objects.get(client_partition_id=acme.pk)
    assert certificate.kind == DeletionCertificate.KIND_DELETE
    assert certificate.client_partition_name == "Acme"
    assert certificate.requested_by == admin_user.username
    assert certificate.export_sha256 == ""
    assert certificate.counts["contacts"] == 2
    entry = LogEntry.objects.get(action_flag=DELETION)
    assert certificate.audit_entry_id == entry.pk
    page = admin_client.get(f"/admin/ccadmin/auditentry/{entry.pk}/change/")
    assert f"/admin/partitions/deletioncertificate/{certificate.pk}/change/" in (
        page.text
    )
    # No personal data: nothing of a contact's in the certificate.
    text = json.dumps(certificate.as_dict())
    for contact in ("first_name", "@", "phone"):
        assert contact not in text


@pytest.mark.django_db(transaction=True)
def test_background_delete_leaves_a_certificate(tenant, admin_user, settings):
    settings.CLIENT_PARTITION_BACKGROUND_DELETE_ROWS = 1
    acme = factories.client_with_data(tenant, "Acme", contacts=1)
    scheduled = actions.delete_or_schedule_client_partition(acme, actor=admin_user)
    assert isinstance(scheduled, actions.ScheduledDeletion)
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    certificate = DeletionCertificate.objects.get(client_partition_id=acme.pk)
    assert certificate.kind == "delete"
    assert certificate.requested_at < certificate.deleted_at


def test_certificate_json_and_printable_page(acme, admin_user, admin_client):
    actions.delete_client_partition(acme, actor=admin_user)
    certificate = DeletionCertificate.objects.get()
    base = f"/admin/partitions/deletioncertificate/{certificate.pk}"
    as_json = admin_client.get(f"{base}/json/")
    assert as_json.status_code == 200
    assert "attachment" in as_json["Content-Disposition"]
    data = json.loads(as_json.content)
    assert data["client_partition"] == {"id": acme.pk, "name": "Acme"}
    assert data["counts"]["activities"] == 4
    printable = admin_client.get(f"{base}/print/")
    assert printable.status_code == 200
    assert "certificate.css" in printable.text
    assert "style=" not in printable.text  # CSP: no inline style
    assert admin_client.get(f"{base}/change/").status_code == 200
    listing = admin_client.get("/admin/partitions/deletioncertificate/")
    assert "Acme" in listing.text


def test_other_tenants_certificate_is_not_found(other_tenant, admin_client, tmp_path):
    foreign = factories.client_with_data(other_tenant, "Zephyr", contacts=1)
    actions.delete_client_partition(foreign, actor=None)
    certificate = DeletionCertificate.objects.get()
    base = f"/admin/partitions/deletioncertificate/{certificate.pk}"
    assert admin_client.get(f"{base}/json/").status_code == 404
    assert admin_client.get(f"{base}/print/").status_code == 404
    listing = admin_client.get("/admin/partitions/deletioncertificate/")
    assert "Zephyr" not in listing.text
    with pytest.raises(CommandError, match="no deletion certificate"):
        call_command(
            "partitions",
            "certificate",
            "Zephyr",
            "--tenant",
            admin_client_tenant_slug(admin_client),
            "--output",
            str(tmp_path / "never.json"),
        )


def admin_client_tenant_slug(client) -> str:
    from ccadmin.tenancy import tenant_of

    user = client.get("/admin/").wsgi_request.user
    return tenant_of(user).slug


# ----- races on PostgreSQL --------------------------------------------------------


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_purge_racing_cancel_either_purges_or_keeps_whole(tenant):
    admin = factories.administrator(tenant)
    for round_no in range(6):
        client = factories.client_with_data(tenant, f"Acme {round_no}", contacts=2)
        actions.offboard_client_partition(client, grace_days=0, actor=admin)
        outcomes = race(
            [
                lambda: actions.purge_due_client_partitions(now=later(1)),
                lambda c=client: actions.cancel_offboarding(c, actor=admin),
            ]
        )
        purged, cancelled = outcomes
        still_there = ClientPartition.objects.filter(pk=client.pk).first()
        if still_there is None:
            # The purge went first: the cancel found it gone.
            assert isinstance(cancelled, actions.ClientPartitionAlreadyDeleted)
            assert DeletionCertificate.objects.filter(
                client_partition_id=client.pk
            ).exists()
        else:
            # The cancel went first: the purge left it, whole.
            assert not isinstance(cancelled, Exception), cancelled
            assert purged.purged == []
            assert not still_there.is_offboarding
            assert Contact.objects.filter(partition=still_there).count() == 2


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_purge_due_twice_at_once_purges_each_client_once(tenant):
    admin = factories.administrator(tenant)
    clients = [
        factories.client_with_data(tenant, f"Acme {i}", contacts=1) for i in range(4)
    ]
    for client in clients:
        actions.offboard_client_partition(client, grace_days=0, actor=admin)
    outcomes = race(
        [
            lambda: actions.purge_due_client_partitions(now=later(1)),
            lambda: actions.purge_due_client_partitions(now=later(1)),
        ]
    )
    assert not any(isinstance(o, Exception) for o in outcomes), outcomes
    names = sorted(s.name for o in outcomes for s in o.purged)
    assert names == [f"Acme {i}" for i in range(4)]
    assert DeletionCertificate.objects.count() == 4
    assert not ClientPartition.objects.filter(tenant=tenant).exists()
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 4


def test_offboarding_writes_audit_entries(acme, admin_user):
    actions.offboard_client_partition(acme, grace_days=2, actor=admin_user)
    messages = [
        e.change_message
        for e in LogEntry.objects.filter(action_flag=CHANGE).order_by("pk")
    ]
    # The export is audited as an export, not as a change.
    [export] = LogEntry.objects.filter(action_flag=EXPORT)
    assert export.change_message.startswith("Exported the client's data")
    assert not any("Exported the client's data" in m for m in messages)
    assert any(
        m.startswith("Offboarded: disabled, exported (SHA-256") for m in messages
    )


def test_a_client_on_legal_hold_cannot_be_deleted_by_x_either(
    acme, admin_user, admin_client
):
    ClientPartition.objects.filter(pk=acme.pk).update(
        legal_hold=True, legal_hold_reason="Litigation 2026-14"
    )
    acme.refresh_from_db()
    with pytest.raises(actions.ClientPartitionOnLegalHold, match="Litigation"):
        actions.delete_or_schedule_client_partition(acme, actor=admin_user)
    with pytest.raises(actions.ClientPartitionOnLegalHold):
        actions.schedule_client_partition_deletion(acme, actor=admin_user)
    url = f"/admin/partitions/clientpartition/{acme.pk}/delete/"
    response = admin_client.post(url, {"post": "yes"}, follow=True)
    assert "is on legal hold (Litigation 2026-14)" in response.text
    err = io.StringIO()
    with pytest.raises(CommandError, match="legal hold"):
        call_command(
            "partitions", "delete", "Acme", "--tenant", acme.tenant.slug,
            "--noinput", stderr=err,
        )  # fmt: skip
    assert ClientPartition.objects.filter(pk=acme.pk).exists()
    assert not DeletionCertificate.objects.exists()
