"""One deletion policy for the admin and `partitions delete` (issue 19, item 6).

A client of more rows than CLIENT_PARTITION_BACKGROUND_DELETE_ROWS is disabled, marked
deleting and handed to the background worker, whichever screen confirmed the delete;
`partitions delete --wait` blocks until the worker is done.
"""

import io
import threading
import time

import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.contrib.auth.models import User
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.urls import reverse

from partitions.models import ClientPartition
from tests import factories

IMMEDIATE_TASKS = {
    "default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}
}


def delete(*args) -> str:
    out = io.StringIO()
    call_command("partitions", "delete", *args, "--noinput", stdout=out)
    return out.getvalue()


@pytest.fixture
def threshold(settings):
    """Lowered so that a client of 18 rows counts as large and the test stays small."""
    settings.CLIENT_PARTITION_BACKGROUND_DELETE_ROWS = 10


def large_client(tenant, name="Huge Client") -> ClientPartition:
    # 4 contacts + 2 companies + 4 emails + 8 activity entries = 18 rows
    return factories.client_with_data(tenant, name, contacts=4)


def test_small_client_is_deleted_at_once_with_its_counts(tenant, threshold):
    partition = factories.client_with_data(tenant, "Small", contacts=1)

    out = delete("Small", "--tenant", tenant.slug)

    assert 'Client partition "Small" deleted: 1 contact' in out
    assert not ClientPartition.objects.filter(pk=partition.pk).exists()


def test_large_client_is_scheduled_by_the_command_as_by_the_admin(
    admin_client, tenant, threshold
):
    # given two large clients
    by_command = large_client(tenant, "Huge Client")
    by_admin = large_client(tenant, "Other Huge Client")

    # when one is deleted on the command line and the other in the admin
    out = delete("Huge Client", "--tenant", tenant.slug)
    admin_client.post(
        reverse("admin:partitions_clientpartition_delete", args=[by_admin.pk]),
        {"post": "yes"},
    )

    # then both are disabled, marked deleting and queued, and still hold their data
    for partition in (by_command, by_admin):
        partition.refresh_from_db()
        assert partition.is_deleting and not partition.enabled
        assert partition.deletion_rows == 18
        assert partition.deletion_task_id
    assert (
        'Client partition "Huge Client" is being deleted in the background '
        f"(task {by_command.deletion_task_id}): 4 contacts, 2 companies, 4 emails, "
        "8 activity entries; 0 services unassigned, about 1 s."
    ) in out
    assert not LogEntry.objects.filter(action_flag=DELETION).exists()


def test_second_delete_of_a_client_being_deleted_queues_nothing(tenant, threshold):
    partition = large_client(tenant)
    delete("Huge Client", "--tenant", tenant.slug)
    partition.refresh_from_db()
    first_task = partition.deletion_task_id

    out = delete("Huge Client", "--tenant", tenant.slug)

    assert '"Huge Client" is already being deleted.' in out
    partition.refresh_from_db()
    assert partition.deletion_task_id == first_task


def test_wait_returns_once_the_row_is_gone(tenant, threshold, settings):
    # A backend that runs the task as it is enqueued: the worker, in this process.
    settings.TASKS = IMMEDIATE_TASKS
    partition = large_client(tenant)

    out = delete("Huge Client", "--tenant", tenant.slug, "--wait")

    assert not ClientPartition.objects.filter(pk=partition.pk).exists()
    assert "is being deleted in the background" in out
    assert out.rstrip().endswith(
        'Client partition "Huge Client" deleted: 4 contacts, 2 companies, 4 emails, '
        "8 activity entries; 0 services unassigned"
    )
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 1


def delete_waiting_while_the_worker_runs(partition_pk: int, *args, before=None):
    """Run `partitions delete --wait` in a thread, as a script would; in this thread
    (the worker sets signal handlers, which only the main thread may), wait for the
    client to be marked deleting, then run the worker once. Return what the command
    printed, or the exception it raised."""
    outcome: list[object] = []

    def command() -> None:
        try:
            outcome.append(delete(*args, "--wait"))
        except Exception as exc:  # recorded and asserted on by the caller
            outcome.append(exc)
        finally:
            connection.close()

    waiting = threading.Thread(target=command, daemon=True)
    waiting.start()
    deadline = time.monotonic() + 60
    while not ClientPartition.objects.filter(
        pk=partition_pk, deletion_requested_at__isnull=False
    ).exists():
        assert time.monotonic() < deadline, "the command never scheduled the delete"
        time.sleep(0.05)
    if before is not None:
        before()
    call_command("db_worker", "--batch", "--no-startup-delay", verbosity=0)
    waiting.join(timeout=60)
    assert not waiting.is_alive(), "the command is still waiting"
    return outcome[0]


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_wait_blocks_until_the_worker_has_deleted_it(threshold):
    tenant = factories.TenantFactory(slug="sakura")
    partition = large_client(tenant)

    out = delete_waiting_while_the_worker_runs(
        partition.pk, "Huge Client", "--tenant", "sakura"
    )

    assert isinstance(out, str), out
    assert "Waiting for the background deletion to finish" in out
    assert 'Client partition "Huge Client" deleted: 4 contacts' in out
    assert not ClientPartition.objects.filter(pk=partition.pk).exists()


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_wait_ends_with_one_error_line_when_the_deletion_fails(threshold):
    tenant = factories.TenantFactory(slug="sakura")
    partition = large_client(tenant)
    confirmer = factories.administrator(tenant)

    # The account that confirmed it is removed before the worker runs: the task
    # cannot name who deleted the client, and fails.
    failed = delete_waiting_while_the_worker_runs(
        partition.pk,
        "Huge Client",
        "--tenant",
        "sakura",
        "--user",
        confirmer.username,
        before=lambda: User.objects.filter(pk=confirmer.pk).delete(),
    )

    assert isinstance(failed, CommandError), failed
    message = str(failed)
    assert "\n" not in message
    assert message.startswith('The background deletion of "Huge Client" failed (')
    assert "DoesNotExist" in message
    partition.refresh_from_db()
    assert partition.is_deleting and not partition.enabled
