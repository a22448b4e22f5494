"""partitions.actions: add within the limit, change, enable/disable, delete."""

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db import connection
from django.test.utils import CaptureQueriesContext

from ccadmin.audit import change_message_fields, change_values
from contacts.models import Activity, Company, Contact, Email
from partitions import actions
from partitions.limit import ClientPartitionLimitReached, partition_usage
from partitions.models import ClientPartition
from tests import factories


def new_partition(tenant, name="Acme", **kwargs) -> ClientPartition:
    return ClientPartition(tenant=tenant, name=name, **kwargs)


def test_create_adds_partition_and_audit_entry(tenant, admin_user):
    partition = actions.create_client_partition(
        new_partition(tenant, "Acme", description="Claims"), actor=admin_user
    )
    assert ClientPartition.objects.get(pk=partition.pk).description == "Claims"
    entry = LogEntry.objects.get(object_id=str(partition.pk))
    assert (entry.action_flag, entry.user) == (ADDITION, admin_user)


@pytest.mark.parametrize("limit", [0, 1, 3])
def test_create_refused_at_limit_from_setting(tenant, admin_user, settings, limit):
    settings.CLIENT_PARTITION_LIMIT = limit
    factories.ClientPartitionFactory.create_batch(limit, tenant=tenant)
    with pytest.raises(ClientPartitionLimitReached) as refused:
        actions.create_client_partition(new_partition(tenant), actor=admin_user)
    assert f"{limit} of {limit} client partitions used" in str(refused.value)
    assert ClientPartition.objects.filter(tenant=tenant).count() == limit
    assert not LogEntry.objects.filter(action_flag=ADDITION).exists()


def test_tenant_override_beats_setting(tenant, other_tenant, admin_user, settings):
    settings.CLIENT_PARTITION_LIMIT = 1
    tenant.client_partition_limit = 3
    tenant.save()
    for name in ["A", "B", "C"]:
        actions.create_client_partition(new_partition(tenant, name), actor=admin_user)
    with pytest.raises(ClientPartitionLimitReached, match="3 of 3"):
        actions.create_client_partition(new_partition(tenant, "D"), actor=admin_user)
    # The other tenant still has the setting's limit of 1.
    actions.create_client_partition(new_partition(other_tenant, "A"), actor=admin_user)
    with pytest.raises(ClientPartitionLimitReached, match="1 of 1"):
        actions.create_client_partition(
            new_partition(other_tenant, "B"), actor=admin_user
        )


def test_limit_counts_only_own_tenant(tenant, other_tenant, settings):
    settings.CLIENT_PARTITION_LIMIT = 2
    factories.ClientPartitionFactory.create_batch(5, tenant=other_tenant)
    usage = partition_usage(tenant)
    assert (usage.used, usage.limit, usage.at_limit) == (0, 2, False)
    assert str(usage) == "0 of 2 client partitions used"


def test_same_name_allowed_in_another_tenant(tenant, other_tenant, admin_user):
    actions.create_client_partition(new_partition(tenant, "Acme"), actor=admin_user)
    actions.create_client_partition(
        new_partition(other_tenant, "acme"), actor=admin_user
    )
    assert ClientPartition.objects.count() == 2


@pytest.mark.parametrize(
    "name", ["さくら銀行", "Café 🍵", "👨‍👩‍👧 Family Co", "x" * 80]
)
def test_japanese_emoji_and_maximum_names_accepted(tenant, admin_user, name):
    partition = actions.create_client_partition(
        new_partition(tenant, name), actor=admin_user
    )
    assert ClientPartition.objects.get(pk=partition.pk).name == name


def test_update_saves_and_audits_changed_fields(tenant, admin_user):
    partition = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    partition.description = "New notes"
    actions.update_client_partition(
        partition, actor=admin_user, changed=["description"]
    )
    partition.refresh_from_db()
    assert partition.description == "New notes"
    entry = LogEntry.objects.get(action_flag=CHANGE)
    assert change_message_fields(entry) == ["Description"]
    assert change_values(entry) == {
        "description": ("Customer service for this client.", "New notes")
    }


def test_update_of_a_stale_instance_audits_only_what_it_wrote(tenant, admin_user):
    # given: an instance loaded before another administrator disabled the client
    partition = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    ClientPartition.objects.filter(pk=partition.pk).update(enabled=False)
    # when: the stale instance changes only its name
    partition.name = "Acme Insurance"
    actions.update_client_partition(partition, actor=admin_user, changed=["name"])
    # then: the entry records the name, not the stale "enabled" it did not write
    entry = LogEntry.objects.get(action_flag=CHANGE)
    assert change_values(entry) == {"name": ("Acme", "Acme Insurance")}
    assert not ClientPartition.objects.get(pk=partition.pk).enabled


def test_enable_disable_change_only_what_differs_and_audit_each(tenant, admin_user):
    on = factories.ClientPartitionFactory.create_batch(2, tenant=tenant)
    off = factories.ClientPartitionFactory(tenant=tenant, enabled=False)
    changed = actions.set_client_partitions_enabled(
        ClientPartition.objects.all(), enabled=False, actor=admin_user
    )
    assert {p.pk for p in changed} == {p.pk for p in on}
    assert not ClientPartition.objects.filter(enabled=True).exists()
    entries = LogEntry.objects.filter(action_flag=CHANGE)
    assert {e.object_id for e in entries} == {str(p.pk) for p in on}
    assert all(change_values(e) == {"enabled": (True, False)} for e in entries)

    changed = actions.set_client_partitions_enabled(
        ClientPartition.objects.filter(pk=off.pk), enabled=True, actor=admin_user
    )
    assert [p.pk for p in changed] == [off.pk]
    assert ClientPartition.objects.get(pk=off.pk).enabled


def test_delete_removes_client_data_keeps_other_client_and_services(tenant, admin_user):
    doomed = factories.client_with_data(tenant, "Doomed", contacts=4, companies=2)
    kept = factories.client_with_data(tenant, "Kept", contacts=3, companies=1)
    loose = factories.ContactFactory(tenant=tenant)  # no partition
    service = factories.ServiceFactory(tenant=tenant, client_partition=doomed)
    other_service = factories.ServiceFactory(tenant=tenant, client_partition=kept)

    summary = actions.delete_client_partition(doomed, actor=admin_user)

    assert (summary.contacts, summary.companies) == (4, 2)
    assert (summary.emails, summary.activities) == (4, 8)
    assert [s.pk for s in summary.services] == [service.pk]
    assert not ClientPartition.objects.filter(pk=doomed.pk).exists()
    for model in (Contact, Company, Email, Activity):
        assert not model.objects.filter(partition_id=doomed.pk).exists()
    assert Contact.objects.filter(partition=kept).count() == 3
    assert Company.objects.filter(partition=kept).count() == 1
    assert Email.objects.filter(partition=kept).count() == 3
    assert Activity.objects.filter(partition=kept).count() == 6
    assert Contact.objects.filter(pk=loose.pk).exists()
    service.refresh_from_db()
    assert service.client_partition is None  # unassigned, not deleted
    other_service.refresh_from_db()
    assert other_service.client_partition == kept


def test_delete_audit_entry_names_partition_and_counts(tenant, admin_user):
    doomed = factories.client_with_data(tenant, "Doomed", contacts=2, companies=1)
    pk = doomed.pk
    actions.delete_client_partition(doomed, actor=admin_user)
    entry = LogEntry.objects.get(action_flag=DELETION)
    assert entry.object_id == str(pk)
    assert entry.object_repr == "Doomed"
    assert entry.user == admin_user
    assert entry.change_message == (
        'Client partition "Doomed" deleted: 2 contacts, 1 company, 2 emails, '
        "4 activity entries; 0 services unassigned"
    )


def test_delete_of_already_deleted_partition_says_so(tenant, admin_user):
    partition = factories.ClientPartitionFactory(tenant=tenant, name="Gone")
    stale = ClientPartition.objects.get(pk=partition.pk)
    actions.delete_client_partition(partition, actor=admin_user)
    with pytest.raises(actions.ClientPartitionAlreadyDeleted, match="already"):
        actions.delete_client_partition(stale, actor=admin_user)


def test_deletion_summary_is_bounded_count_queries(tenant, django_assert_num_queries):
    small = factories.client_with_data(tenant, "Small", contacts=1)
    large = factories.client_with_data(tenant, "Large", contacts=12)
    # Four COUNTs and the services: the same whatever the client's size.
    with django_assert_num_queries(5):
        actions.deletion_summary(small)
    with django_assert_num_queries(5) as captured:
        summary = actions.deletion_summary(large)
    assert summary.contacts == 12
    contact_selects = [
        q["sql"] for q in captured.captured_queries if "contacts_contact" in q["sql"]
    ]
    assert all("COUNT(" in sql for sql in contact_selects)


def test_delete_lets_the_database_cascade(tenant, admin_user):
    doomed = factories.client_with_data(tenant, "Doomed", contacts=5)
    with CaptureQueriesContext(connection) as captured:
        actions.delete_client_partition(doomed, actor=admin_user)
    child_deletes = [
        q["sql"]
        for q in captured.captured_queries
        if q["sql"].startswith("DELETE") and "contacts_" in q["sql"]
    ]
    # No DELETE of children is sent from Python: the database's ON DELETE CASCADE
    # does it, so nothing is loaded, whatever the client's size.
    assert child_deletes == []
    assert not Contact.objects.filter(partition_id=doomed.pk).exists()
