"""`seed_demo --contacts N`: a large client made with bulk inserts, idempotently."""

import io

import pytest
from django.contrib.admin.models import ADDITION
from django.contrib.contenttypes.models import ContentType
from django.core.management import call_command
from django.core.management.base import CommandError

from ccadmin.models import AuditEntry, Membership, Tenant
from contacts.models import Activity, Company, Contact, Email
from partitions.models import ClientPartition
from services.models import Service


@pytest.mark.django_db
def test_contacts_option_fills_one_client_and_tops_up_only(monkeypatch):
    from demo.management.commands import seed_demo

    monkeypatch.setattr(seed_demo, "BULK_CONTACTS", 7)  # several chunks
    out = io.StringIO()
    call_command("seed_demo", "--contacts", "40", stdout=out)
    acme = ClientPartition.objects.get(tenant__slug="sakura", name="Acme Insurance")
    contacts = Contact.objects.filter(partition=acme)
    assert contacts.count() == 40
    added = contacts.exclude(email__endswith="example.com", phone__startswith="+8190")
    assert Email.objects.filter(partition=acme).count() == 40
    # The 6 demo contacts have 2 entries each; the 34 added have 5 each.
    assert Activity.objects.filter(partition=acme).count() == 6 * 2 + 34 * 5
    assert Activity.objects.filter(contact__in=added).count() == 34 * 5
    assert Company.objects.filter(partition=acme).count() > 1
    assert all(c.company is None or c.company.partition == acme for c in contacts)
    assert '"Acme Insurance" holds 40 contacts (34 added).' in out.getvalue()
    # The load is audited once, not row by row.
    load = AuditEntry.objects.get(change_message__startswith="Demo load")
    assert load.object_id == str(acme.pk)
    assert "34 contacts added" in load.change_message

    call_command("seed_demo", "--contacts", "40", stdout=out)
    assert contacts.count() == 40
    assert Activity.objects.filter(partition=acme).count() == 6 * 2 + 34 * 5

    call_command("partitions", "add", "--name", "Bench B", "--tenant", "sakura",
                 stdout=out)  # fmt: skip
    call_command("seed_demo", "--contacts", "12", "--partition", "bench b", stdout=out)
    assert '"Bench B" holds 12 contacts (12 added).' in out.getvalue()
    bench = ClientPartition.objects.get(name="Bench B")
    assert Contact.objects.filter(partition=bench).count() == 12
    assert Contact.objects.filter(partition=acme).count() == 40


@pytest.mark.django_db
def test_demo_contacts_pass_the_models_rules():
    call_command("seed_demo", stdout=io.StringIO())
    for contact in Contact.objects.all():
        contact.full_clean()


@pytest.mark.django_db
def test_demo_rows_are_written_through_the_actions_and_audited():
    # when: the demo is loaded
    call_command("seed_demo", stdout=io.StringIO())
    # then: every demo row has its one addition entry, by the service provider
    for model in (Tenant, Membership, Service, Company, Contact, Email, Activity):
        rows = model.objects.all()
        added = AuditEntry.objects.filter(
            action_flag=ADDITION,
            content_type=ContentType.objects.get_for_model(model),
            user__username="provider",
        )
        assert rows.count() > 0
        assert sorted(added.values_list("object_id", flat=True)) == sorted(
            str(pk) for pk in rows.values_list("pk", flat=True)
        ), model


@pytest.mark.django_db
def test_partition_option_refuses_a_client_that_does_not_exist():
    call_command("seed_demo", stdout=io.StringIO())
    with pytest.raises(CommandError, match='no client partition named "Nope"'):
        call_command(
            "seed_demo", "--contacts", "5", "--partition", "Nope", stdout=io.StringIO()
        )
    assert not ClientPartition.objects.filter(name="Nope").exists()


@pytest.mark.django_db
def test_at_the_limit_the_demo_answers_with_the_limits_message(settings):
    # Sakura BPO's demo has four clients; a limit of two refuses the third.
    settings.CLIENT_PARTITION_LIMIT = 2
    with pytest.raises(CommandError, match="2 of 2 client partitions used"):
        call_command("seed_demo", stdout=io.StringIO())
    assert not ClientPartition.objects.exists()  # all or nothing
