"""Changing a client partition: no lost update, and no change while it is being deleted.

`partitions.actions.update_client_partition` locks the tenant, then the partition,
refuses while a background deletion is under way, and writes only the fields the
caller names (issue 19, item 5).
"""

import io
import threading
import time

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection, transaction
from django.test import Client
from django.urls import reverse

from ccadmin.text import name_key
from partitions import actions
from partitions.models import ClientPartition
from tests import factories
from tests.live import race


def change_url(partition) -> str:
    return reverse("admin:partitions_clientpartition_change", args=[partition.pk])


def test_stale_instance_cannot_undo_a_background_deletion(tenant, admin_user):
    # given an administrator's form loaded the client before it was marked deleting
    partition = factories.client_with_data(tenant, "Acme", contacts=2)
    stale = ClientPartition.objects.get(pk=partition.pk)
    scheduled = actions.schedule_client_partition_deletion(partition, actor=admin_user)
    # when that stale instance is saved, re-enabled
    stale.enabled = True
    stale.description = "Edited meanwhile"
    with pytest.raises(ValidationError) as refused:
        actions.update_client_partition(
            stale, actor=admin_user, changed=["description", "enabled"]
        )
    # then it is refused, and the deletion mark and the disabled state survive
    assert '"Acme" is being deleted' in " ".join(refused.value.messages)
    partition.refresh_from_db()
    assert partition.is_deleting
    assert partition.deletion_task_id == scheduled.task_id
    assert not partition.enabled
    assert partition.description != "Edited meanwhile"


def test_description_update_keeps_a_concurrent_disable(tenant, admin_user):
    # given a stale instance loaded while the client was enabled
    partition = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    stale = ClientPartition.objects.get(pk=partition.pk)
    # and another administrator disables it meanwhile
    actions.set_client_partitions_enabled(
        ClientPartition.objects.filter(pk=partition.pk), enabled=False, actor=admin_user
    )
    # when the stale instance saves only its new description
    stale.description = "New notes"
    actions.update_client_partition(stale, actor=admin_user, changed=["description"])
    # then the description is saved and the client stays disabled
    partition.refresh_from_db()
    assert partition.description == "New notes"
    assert not partition.enabled


def test_name_change_updates_its_comparison_key(tenant, admin_user):
    partition = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    partition.name = "  ＧＬＯＢＥＸ  "
    actions.update_client_partition(partition, actor=admin_user, changed=["name"])
    stored = ClientPartition.objects.get(pk=partition.pk)
    assert (stored.name, stored.name_key) == ("GLOBEX", name_key("globex"))


def test_update_of_a_deleted_partition_says_so(tenant, admin_user):
    partition = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    stale = ClientPartition.objects.get(pk=partition.pk)
    actions.delete_client_partition(partition, actor=admin_user)
    stale.description = "Too late"
    with pytest.raises(actions.ClientPartitionAlreadyDeleted):
        actions.update_client_partition(
            stale, actor=admin_user, changed=["description"]
        )
    assert not ClientPartition.objects.filter(pk=partition.pk).exists()


def test_update_refuses_fields_that_are_not_the_administrators(tenant, admin_user):
    partition = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    with pytest.raises(ValueError, match="deletion_requested_at"):
        actions.update_client_partition(
            partition, actor=admin_user, changed=["deletion_requested_at"]
        )


def test_change_form_enabled_box_cannot_re_enable_a_deleting_client(
    admin_client, admin_user, tenant
):
    partition = factories.client_with_data(tenant, "Acme", contacts=1)
    actions.schedule_client_partition_deletion(partition, actor=admin_user)

    response = admin_client.post(
        change_url(partition),
        {"name": "Acme", "description": "", "enabled": "on"},
    )

    assert response.status_code == 403  # read-only while it is being deleted
    partition.refresh_from_db()
    assert partition.is_deleting
    assert not partition.enabled


def test_change_form_save_still_writes_the_changed_fields(admin_client, tenant):
    partition = factories.ClientPartitionFactory(
        tenant=tenant, name="Acme", description="Old"
    )
    response = admin_client.post(
        change_url(partition), {"name": "Acme", "description": "New", "enabled": "on"}
    )
    assert response.status_code == 302
    partition.refresh_from_db()
    assert (partition.description, partition.enabled) == ("New", True)


@pytest.mark.parametrize("verb", ["enable", "disable"])
def test_command_refuses_to_toggle_a_deleting_client(tenant, admin_user, verb):
    partition = factories.client_with_data(tenant, "Acme", contacts=1)
    actions.schedule_client_partition_deletion(partition, actor=admin_user)
    with pytest.raises(CommandError, match='"Acme" is being deleted'):
        call_command(
            "partitions", verb, "Acme", "--tenant", tenant.slug, stdout=io.StringIO()
        )
    partition.refresh_from_db()
    assert partition.is_deleting and not partition.enabled


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_stale_enable_and_background_delete_leave_it_deleting():
    """Whichever commits first, the client ends disabled and marked deleting: the
    update either runs before the mark (and the mark follows) or is refused."""
    tenant = factories.TenantFactory()
    actor = factories.administrator(tenant)
    for round_no in range(10):
        partition = factories.ClientPartitionFactory(
            tenant=tenant, name=f"Acme {round_no}", enabled=False
        )
        stale = ClientPartition.objects.get(pk=partition.pk)
        stale.enabled = True

        outcomes = race(
            [
                lambda s=stale: actions.update_client_partition(
                    s, actor=actor, changed=["enabled"]
                ),
                lambda p=partition: actions.schedule_client_partition_deletion(
                    p, actor=actor
                ),
            ]
        )

        assert isinstance(outcomes[1], actions.ScheduledDeletion), outcomes
        assert outcomes[0] is stale or isinstance(outcomes[0], ValidationError)
        partition.refresh_from_db()
        assert partition.is_deleting
        assert not partition.enabled


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_change_form_saved_while_a_deletion_is_being_scheduled_is_refused_clearly():
    """The form was read before the deletion mark was committed: its save waits for
    the locks, then finds the client deleting and says so (no 500, nothing saved)."""
    tenant = factories.TenantFactory()
    admin = factories.administrator(tenant)
    partition = factories.client_with_data(tenant, "Acme", contacts=1)
    partition.enabled = False
    partition.save()
    browser = Client()
    browser.force_login(admin)
    answer: list = []

    def save_form() -> None:
        try:
            answer.append(
                browser.post(
                    change_url(partition),
                    {"name": "Acme", "description": "Edited", "enabled": "on"},
                    follow=True,
                )
            )
        finally:
            connection.close()

    with transaction.atomic():
        actions.schedule_client_partition_deletion(partition, actor=admin)
        saving = threading.Thread(target=save_form)
        saving.start()
        wait_until_a_query_waits_for_a_lock()
    saving.join(60)

    response = answer[0]
    assert response.status_code == 200
    assert any(
        '"Acme" is being deleted' in str(m) for m in response.context["messages"]
    )
    partition.refresh_from_db()
    assert partition.is_deleting and not partition.enabled
    assert partition.description != "Edited"


def wait_until_a_query_waits_for_a_lock(limit: float = 60) -> None:
    """Poll PostgreSQL until another session waits for a row lock (a wait for the
    other thread, not a timing). Called inside a transaction, whose statistics
    snapshot is cleared before each look."""
    deadline = time.monotonic() + limit
    with connection.cursor() as cursor:
        while True:
            cursor.execute("SELECT pg_stat_clear_snapshot()")
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                "current_database() AND wait_event_type = 'Lock'"
            )
            if cursor.fetchone()[0]:
                return
            assert time.monotonic() < deadline, "the form's save never waited"
            time.sleep(0.02)
