"""A client partition's delete is all or nothing, and two deletes at once are not an
error: a delete cut short at any statement, or by its database connection being
killed, leaves the partition and every row of it; a retried delete then succeeds."""

import threading
import time
from contextlib import contextmanager
from itertools import count

import psycopg2
import pytest
from django.contrib.admin.models import DELETION, LogEntry
from django.db import DatabaseError, connection
from django.urls import reverse

from contacts.models import Activity, Company, Contact, Email
from partitions import actions
from partitions.models import ClientPartition
from services.models import Service
from tests import factories
from tests.live import Browser, race


class PowerCut(Exception):
    """The fault injected into a delete."""


def snapshot(partition_id: int) -> dict:
    """Everything that belongs to a client partition, as counts and assignments."""
    return {
        "partition": ClientPartition.objects.filter(pk=partition_id).exists(),
        "contacts": Contact.objects.filter(partition_id=partition_id).count(),
        "companies": Company.objects.filter(partition_id=partition_id).count(),
        "emails": Email.objects.filter(partition_id=partition_id).count(),
        "activities": Activity.objects.filter(partition_id=partition_id).count(),
        "services": sorted(
            Service.objects.filter(client_partition_id=partition_id).values_list(
                "pk", flat=True
            )
        ),
        "deletion_entries": LogEntry.objects.filter(
            action_flag=DELETION, object_id=str(partition_id)
        ).count(),
    }


@contextmanager
def fail_after_statement(n: int):
    """Let the first `n` statements of this connection run, then raise PowerCut
    right after statement n+1 has run (its work done, not yet committed), as a
    crash or a lost connection would mid-way."""
    seen = count()

    def wrapper(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        # Transaction control (SQLite's BEGIN IMMEDIATE) is the frame, not the work.
        if not sql.startswith(("BEGIN", "SAVEPOINT", "RELEASE")) and next(seen) == n:
            raise PowerCut(sql)
        return result

    with connection.execute_wrapper(wrapper):
        yield


@pytest.fixture
def client_with_data(tenant):
    partition = factories.client_with_data(tenant, "Acme", contacts=4)
    factories.ServiceFactory.create_batch(2, tenant=tenant, client_partition=partition)
    return partition


@pytest.mark.django_db(transaction=True)
def test_delete_cut_short_after_any_statement_leaves_everything_then_retry_succeeds(
    tenant, admin_user, client_with_data
):
    partition = client_with_data
    other = factories.client_with_data(tenant, "Globex", contacts=2)
    before = snapshot(partition.pk)
    other_before = snapshot(other.pk)
    assert before["contacts"] == 4 and len(before["services"]) == 2

    interrupted = 0
    for n in count():
        try:
            with fail_after_statement(n):
                summary = actions.delete_client_partition(partition, actor=admin_user)
        except PowerCut:
            interrupted += 1
            assert snapshot(partition.pk) == before, f"after statement {n + 1}"
            continue
        break  # every statement of the delete has been cut once: this one ran whole

    # The select, the counts, the audit entry and the cascading DELETE: each was cut.
    assert interrupted >= 8
    assert summary.contacts == 4
    after = snapshot(partition.pk)
    assert after["partition"] is False
    assert (after["contacts"], after["emails"], after["activities"]) == (0, 0, 0)
    assert after["deletion_entries"] == 1
    assert snapshot(other.pk) == other_before


def _test_database_dsn() -> dict:
    s = connection.settings_dict
    return {
        "dbname": s["NAME"],
        "user": s["USER"],
        "password": s["PASSWORD"] or None,
        "host": s["HOST"] or "127.0.0.1",
        "port": s["PORT"] or 5432,
    }


def _wait_for(condition, what: str, limit: float = 60) -> None:
    """Poll until `condition()` holds (a wait for another thread, not a timing)."""
    deadline = time.monotonic() + limit
    while not condition():
        assert time.monotonic() < deadline, f"gave up waiting for {what}"
        time.sleep(0.02)


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_delete_whose_connection_is_killed_mid_way_leaves_everything(
    tenant, admin_user, client_with_data
):
    partition = client_with_data
    before = snapshot(partition.pk)
    deleted_not_committed = threading.Event()
    killed = threading.Event()
    outcome: dict = {}

    def delete_then_hang() -> None:
        def wrapper(execute, sql, params, many, context):
            result = execute(sql, params, many, context)
            if sql.startswith('DELETE FROM "partitions_clientpartition"'):
                deleted_not_committed.set()
                killed.wait(60)
            return result

        try:
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_backend_pid()")
                outcome["pid"] = cursor.fetchone()[0]
            with connection.execute_wrapper(wrapper):
                actions.delete_client_partition(partition, actor=admin_user)
            outcome["result"] = "committed"
        except Exception as exc:
            outcome["result"] = exc
        finally:
            connection.close()

    deleter = threading.Thread(target=delete_then_hang)
    deleter.start()
    assert deleted_not_committed.wait(60)

    # The delete's transaction has run its DELETE and holds the partition's row lock.
    observer = psycopg2.connect(**_test_database_dsn())
    observer.autocommit = True
    with observer.cursor() as cursor:
        with pytest.raises(psycopg2.errors.LockNotAvailable):
            cursor.execute(
                "SELECT 1 FROM partitions_clientpartition WHERE id = %s "
                "FOR UPDATE NOWAIT",
                [partition.pk],
            )
        cursor.execute("SELECT pg_terminate_backend(%s)", [outcome["pid"]])
        assert cursor.fetchone()[0] is True
    observer.close()
    killed.set()
    deleter.join(60)

    assert isinstance(outcome["result"], DatabaseError), outcome
    assert snapshot(partition.pk) == before
    summary = actions.delete_client_partition(partition, actor=admin_user)
    assert summary.contacts == before["contacts"]
    assert snapshot(partition.pk)["partition"] is False


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_administrators_deleting_at_once_one_succeeds_other_told_already_deleted(
    tenant,
):
    first, second = factories.administrator(tenant), factories.administrator(tenant)
    for round_no in range(10):
        partition = factories.client_with_data(tenant, f"Acme {round_no}", contacts=2)
        outcomes = race(
            [
                lambda a=admin, p=partition: actions.delete_client_partition(p, actor=a)
                for admin in (first, second)
            ]
        )
        done = [o for o in outcomes if isinstance(o, actions.DeletionSummary)]
        told = [
            o for o in outcomes if isinstance(o, actions.ClientPartitionAlreadyDeleted)
        ]
        assert (len(done), len(told)) == (1, 1), outcomes
        assert f'"Acme {round_no}" has already been deleted' in str(told[0])
        assert snapshot(partition.pk)["deletion_entries"] == 1


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_administrators_confirming_the_same_delete_in_the_admin_get_no_error(
    live_server, tenant
):
    partition = factories.client_with_data(tenant, "Acme", contacts=2)
    url = reverse("admin:partitions_clientpartition_delete", args=[partition.pk])
    browsers = [
        Browser(live_server.url, factories.administrator(tenant)) for _ in range(2)
    ]
    for browser in browsers:  # both have the confirmation page open
        assert "Are you absolutely sure" in browser.get(url).text

    # A third session holds the partition's row, so both confirmations get past
    # the admin's lookup and queue on the delete's lock; then it lets go.
    holder = psycopg2.connect(**_test_database_dsn())
    waiting = psycopg2.connect(**_test_database_dsn())
    waiting.autocommit = True
    with holder.cursor() as cursor:
        cursor.execute(
            "SELECT 1 FROM partitions_clientpartition WHERE id = %s FOR UPDATE",
            [partition.pk],
        )
    answers: list = [None, None]
    threads = [
        threading.Thread(
            target=lambda i=i: answers.__setitem__(
                i, browsers[i].post(url, {"post": "yes"})
            )
        )
        for i in range(2)
    ]
    for thread in threads:
        thread.start()

    def lock_waiters() -> int:
        with waiting.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = "
                "current_database() AND wait_event_type = 'Lock'"
            )
            return cursor.fetchone()[0]

    _wait_for(lambda: lock_waiters() == 2, "both deletes to wait for the lock")
    holder.commit()
    for thread in threads:
        thread.join(60)
    holder.close()
    waiting.close()

    assert [a.status for a in answers] == [200, 200]
    changelist = reverse("admin:partitions_clientpartition_changelist")
    assert all(a.url.endswith(changelist) for a in answers)
    deleted = [a for a in answers if "Acme&quot; deleted: 2 contacts" in a.text]
    told = [a for a in answers if "has already been deleted" in a.text]
    assert (len(deleted), len(told)) == (1, 1), [a.text[-2000:] for a in answers]
    assert snapshot(partition.pk)["partition"] is False
    assert snapshot(partition.pk)["deletion_entries"] == 1


def test_second_confirmation_after_the_delete_is_the_not_found_answer(
    admin_client, tenant
):
    """Without a race (and on SQLite): the later confirmation finds nothing to
    delete and says so, never a 500."""
    partition = factories.client_with_data(tenant, "Acme", contacts=1)
    url = reverse("admin:partitions_clientpartition_delete", args=[partition.pk])
    assert admin_client.post(url, {"post": "yes"}).status_code == 302
    again = admin_client.post(url, {"post": "yes"}, follow=True)
    assert again.status_code == 200
    assert any("doesn’t exist" in str(m) for m in again.context["messages"])
