"""Very large client partitions are deleted by the background worker."""

import pytest
from django.contrib.admin.models import CHANGE, DELETION, LogEntry
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from ccadmin.audit import change_values
from contacts.models import Activity, Contact
from partitions import actions
from partitions.models import ClientPartition
from partitions.selectors import deletion_progress, enabled_client_partitions
from tests import factories

CHANGELIST = reverse("admin:partitions_clientpartition_changelist")


def delete_url(partition) -> str:
    return reverse("admin:partitions_clientpartition_delete", args=[partition.pk])


@pytest.fixture
def large_client(tenant, settings):
    """A client over the background threshold (lowered so the test stays small)."""
    settings.CLIENT_PARTITION_BACKGROUND_DELETE_ROWS = 10
    partition = factories.client_with_data(tenant, "Huge Client", contacts=4)
    return partition  # 4 contacts + 2 companies + 4 emails + 8 activities = 18 rows


def run_worker() -> None:
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)


def test_small_client_is_deleted_at_once(admin_client, tenant, settings):
    settings.CLIENT_PARTITION_BACKGROUND_DELETE_ROWS = 1000
    partition = factories.client_with_data(tenant, "Small", contacts=2)
    response = admin_client.post(delete_url(partition), {"post": "yes"}, follow=True)
    assert response.redirect_chain[-1][0] == CHANGELIST
    assert not ClientPartition.objects.filter(pk=partition.pk).exists()
    assert not Contact.objects.filter(partition_id=partition.pk).exists()
    assert any(
        '"Small" deleted: 2 contacts' in str(m) for m in response.context["messages"]
    )


# The worker closes its database connection when done, as a real worker does: the
# test runs outside a wrapping transaction.
@pytest.mark.django_db(transaction=True)
def test_large_client_is_disabled_marked_and_queued(
    admin_client, admin_user, tenant, large_client
):
    factories.ServiceFactory(tenant=tenant, client_partition=large_client)

    response = admin_client.post(delete_url(large_client), {"post": "yes"}, follow=True)

    large_client.refresh_from_db()
    assert large_client.is_deleting
    assert not large_client.enabled
    assert large_client.deletion_rows == 18
    assert Contact.objects.filter(partition=large_client).count() == 4
    assert any(
        "being deleted in the background" in str(m)
        for m in response.context["messages"]
    )
    # Agents no longer see it; the list shows the progress and reloads itself.
    assert large_client not in enabled_client_partitions(tenant)
    listing = admin_client.get(CHANGELIST)
    assert "Deleting… queued" in listing.text
    assert '<meta http-equiv="refresh" content="5">' in listing.text
    assert deletion_progress(large_client).status == "queued"
    disabled = LogEntry.objects.get(action_flag=CHANGE)
    assert change_values(disabled) == {"enabled": (True, False)}

    run_worker()

    assert not ClientPartition.objects.filter(pk=large_client.pk).exists()
    assert not Activity.objects.filter(partition_id=large_client.pk).exists()
    entry = LogEntry.objects.get(action_flag=DELETION)
    assert entry.user == admin_user  # who confirmed it, not the worker
    assert "4 contacts" in entry.change_message
    assert "refresh" not in admin_client.get(CHANGELIST).text


def test_client_being_deleted_cannot_be_changed_enabled_or_deleted_twice(
    admin_client, admin_user, large_client
):
    actions.schedule_client_partition_deletion(large_client, actor=admin_user)
    change = reverse("admin:partitions_clientpartition_change", args=[large_client.pk])
    assert admin_client.post(change, {"name": "Renamed"}).status_code == 403
    large_client.refresh_from_db()
    assert large_client.name == "Huge Client"

    actions.set_client_partitions_enabled(
        ClientPartition.objects.filter(pk=large_client.pk),
        enabled=True,
        actor=admin_user,
    )
    large_client.refresh_from_db()
    assert not large_client.enabled

    again = admin_client.get(delete_url(large_client), follow=True)
    assert any("already being deleted" in str(m) for m in again.context["messages"])


def test_scheduling_an_already_deleted_client_says_so(admin_user, large_client):
    stale = ClientPartition.objects.get(pk=large_client.pk)
    large_client.delete()
    with pytest.raises(actions.ClientPartitionAlreadyDeleted):
        actions.schedule_client_partition_deletion(stale, actor=admin_user)


def test_other_tenants_admin_sees_nothing_of_it(other_tenant, large_client, admin_user):
    actions.schedule_client_partition_deletion(large_client, actor=admin_user)
    theirs = factories.ClientPartitionFactory(tenant=other_tenant, name="Their Client")
    client = Client()
    client.force_login(factories.administrator(other_tenant))
    listing = client.get(CHANGELIST)
    # Their own list, working as usual: not a refusal that would show nothing anyway.
    assert listing.status_code == 200
    assert list(listing.context["cl"].result_list) == [theirs]
    assert "Huge Client" not in listing.text
    assert "refresh" not in listing.text  # nothing of theirs is being deleted
    progress = client.get(delete_url(large_client), follow=True)
    assert progress.redirect_chain[-1][0] == reverse("admin:index")
    assert "already being deleted" not in progress.text


def test_one_rule_says_whether_a_deletion_is_under_way(admin_user, large_client):
    """The admin's, the command's and the API's delete all ask deletion_under_way:
    not while nothing is scheduled, yes while queued, no once failed (it may be
    started again)."""
    from partitions.selectors import deletion_under_way

    assert not deletion_under_way(large_client)
    actions.schedule_client_partition_deletion(large_client, actor=admin_user)
    large_client.refresh_from_db()
    assert deletion_under_way(large_client)
    # the worker lost its task: a failed deletion, to start again
    ClientPartition.objects.filter(pk=large_client.pk).update(deletion_task_id="gone")
    large_client.refresh_from_db()
    assert not deletion_under_way(large_client)
