"""Issue 10, item 2: routing keeps every guarantee under concurrency without a lock on
the tenant row (ccadmin/locks.py), on PostgreSQL with real connections.

Blocking is detected with PostgreSQL's lock_timeout (a blocked statement fails with
"canceling statement due to lock timeout") or a thread's join timeout, never by
measuring how long something took.
"""

import threading
from contextlib import contextmanager
from datetime import UTC, datetime

import pytest
from django.db import OperationalError, connection, transaction

from ccadmin.cli import system_user
from contacts.models import Activity, Contact, Email
from interactions.routing import route_interaction, route_interactions
from partitions import actions as partition_actions
from partitions.models import ClientPartition
from tests import factories
from tests.live import race

pytestmark = [pytest.mark.postgresql, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def acme():
    # The system account the gateways' new contacts are audited as exists from the
    # first one on; created here so no test measures that one-off insert (whose
    # unique username makes a second first-ever creation wait for it).
    system_user()
    tenant = factories.TenantFactory(name="Sakura BPO")
    return factories.client_with_lines(tenant)


def email(tenant, sender="山田 太郎 <taro@example.jp>", message_id="<m@x>"):
    return route_interaction(
        tenant,
        service="Acme Email",
        channel="email",
        sender=sender,
        subject="Claim",
        message_id=message_id,
        occurred_at=datetime(2026, 4, 1, tzinfo=UTC),
    )


def call(tenant, sender):
    return route_interaction(
        tenant, service="Acme Line", channel="voice", sender=sender
    )


@contextmanager
def held_open(job):
    """Run `job` in a thread, in a transaction left open (its locks held) until the
    block ends; then commit it."""
    started, release = threading.Event(), threading.Event()
    failures: list[BaseException] = []

    def run():
        try:
            with transaction.atomic():
                job()
                started.set()
                release.wait(60)
        except BaseException as exc:  # reported to the test below
            failures.append(exc)
            started.set()
        finally:
            connection.close()

    thread = threading.Thread(target=run)
    thread.start()
    assert started.wait(30), "the held transaction never started"
    try:
        yield thread
    finally:
        release.set()
        thread.join(60)
    assert not failures, failures


@contextmanager
def lock_timeout(seconds: int):
    """Make this connection's statements fail instead of waiting on a lock."""
    with connection.cursor() as cursor:
        cursor.execute(f"SET lock_timeout = '{int(seconds)}s'")
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("RESET lock_timeout")


def test_twelve_concurrent_emails_from_one_new_sender_make_one_contact(acme):
    tenant = acme.tenant

    outcomes = race(
        [lambda i=i: email(tenant, message_id=f"<m{i}@x>") for i in range(12)]
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert Contact.objects.count() == 1
    assert {o.contact_id for o in outcomes} == {Contact.objects.get().pk}
    assert sum(o.contact_created for o in outcomes) == 1
    assert Email.objects.count() == 12


def test_twelve_concurrent_withheld_calls_make_one_withheld_number_contact(acme):
    # Issue 17: the client's "Withheld number" is found and created like a sender,
    # under the same advisory lock, so concurrent anonymous calls share one.
    tenant = acme.tenant
    no_client = factories.ServiceFactory(tenant=tenant, name="General")

    outcomes = race(
        [lambda: call(tenant, "anonymous")] * 6
        + [
            lambda: route_interaction(
                tenant, service=no_client.name, channel="voice", sender="anonymous"
            )
        ]
        * 6
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    withheld = Contact.objects.filter(placeholder=Contact.Placeholder.WITHHELD)
    # One for the client, one for no client (whose NULL partition no unique key
    # compares: the advisory lock alone keeps it to one).
    assert sorted(withheld.values_list("partition_id", flat=True), key=str) == sorted(
        [acme.pk, None], key=str
    )
    assert Activity.objects.count() == 12


def test_twelve_concurrent_deliveries_of_one_message_id_make_one_email(acme):
    tenant = acme.tenant

    outcomes = race([lambda: email(tenant, message_id="<same@x>")] * 12)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert Email.objects.count() == 1
    assert Activity.objects.count() == 1
    assert sorted(o.duplicate for o in outcomes) == [False] + [True] * 11
    assert {o.email_id for o in outcomes} == {Email.objects.get().pk}


def test_twelve_concurrent_deliveries_of_one_message_id_from_new_senders(acme):
    # Different senders: no sender lock orders them; the unique constraint does.
    tenant = acme.tenant

    outcomes = race(
        [
            lambda i=i: email(tenant, sender=f"s{i}@example.jp", message_id="<one@x>")
            for i in range(12)
        ]
    )

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert Email.objects.count() == 1
    assert sorted(o.duplicate for o in outcomes) == [False] + [True] * 11
    # the duplicates' transactions rolled back their contacts with them
    assert Contact.objects.count() == 1


def test_disabling_a_client_while_interactions_are_in_flight_loses_none(acme):
    tenant = acme.tenant
    admin = factories.administrator(tenant)
    jobs = [lambda i=i: call(tenant, f"090-5555-{i:04d}") for i in range(12)]
    jobs.append(
        lambda: partition_actions.set_client_partitions_enabled(
            ClientPartition.objects.filter(pk=acme.pk), enabled=False, actor=admin
        )
    )

    outcomes = race(jobs)

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    # every interaction recorded, with the client or without it
    assert Activity.objects.count() == 12
    for activity in Activity.objects.select_related("contact"):
        assert activity.partition_id in (acme.pk, None)
        assert activity.contact.partition_id == activity.partition_id
    # and the client, now disabled, receives nothing more
    assert call(tenant, "090-5555-9999").partition is None


def test_a_disable_waits_for_an_assignment_under_way(acme):
    tenant = acme.tenant
    admin = factories.administrator(tenant)

    with held_open(lambda: call(tenant, "090-6666-0001")):
        # when: the administrator disables the client meanwhile
        with lock_timeout(2), pytest.raises(OperationalError, match="lock timeout"):
            partition_actions.set_client_partitions_enabled(
                ClientPartition.objects.filter(pk=acme.pk), enabled=False, actor=admin
            )

    # then: the assignment under way went through; the disable, once free, works
    assert Activity.objects.get().partition == acme
    partition_actions.set_client_partitions_enabled(
        ClientPartition.objects.filter(pk=acme.pk), enabled=False, actor=admin
    )
    assert call(tenant, "090-6666-0002").partition is None


def test_an_interaction_waits_for_a_disable_under_way_then_gets_no_client(acme):
    tenant = acme.tenant
    admin = factories.administrator(tenant)
    done: list[object] = []

    def disable():
        partition_actions.set_client_partitions_enabled(
            ClientPartition.objects.filter(pk=acme.pk), enabled=False, actor=admin
        )

    def route():
        try:
            done.append(call(tenant, "090-7777-0001"))
        finally:
            connection.close()

    with held_open(disable):
        router = threading.Thread(target=route)
        router.start()
        router.join(2)
        # blocked on the client's row while the disable is uncommitted
        assert router.is_alive()
        assert not done
    router.join(30)

    [routed] = done
    assert routed.partition is None
    assert Activity.objects.get().partition is None


def test_an_open_routing_transaction_blocks_no_other_sender_nor_an_add(acme):
    tenant = acme.tenant
    admin = factories.administrator(tenant)

    with held_open(lambda: email(tenant, sender="first@example.jp")):
        with lock_timeout(3):
            # when: another sender's interactions, and an administrator's add
            other_call = call(tenant, "090-8888-0001")
            other_email = email(tenant, sender="second@example.jp", message_id="<2@x>")
            added = partition_actions.create_client_partition(
                ClientPartition(tenant=tenant, name="Initech"), actor=admin
            )

        # then: all done while the first transaction is still open
        assert other_call.partition == acme and other_email.partition == acme
        assert added.pk is not None
        assert not Email.objects.filter(sender__contains="first@").exists()

    assert Email.objects.count() == 2


def test_an_open_routing_transaction_makes_the_same_new_sender_wait(acme):
    # The per-sender lock: the second delivery of a new sender waits for the first
    # to commit its contact, and then finds it.
    tenant = acme.tenant

    with held_open(lambda: call(tenant, "090-9999-0001")):
        with lock_timeout(2), pytest.raises(OperationalError, match="lock timeout"):
            call(tenant, "+81 90 9999 0001")

    again = call(tenant, "090 9999 0001")
    assert not again.contact_created
    assert Contact.objects.count() == 1


def test_an_add_of_a_client_under_way_blocks_no_interaction(acme):
    # The partition limit's tenant lock is FOR NO KEY UPDATE: the foreign-key checks
    # of routing's inserts (FOR KEY SHARE on the tenant, at commit: Django's
    # constraints are deferred) go on while an administrator's add is open. With
    # FOR UPDATE every interaction of the tenant would wait for the add.
    tenant = acme.tenant
    admin = factories.administrator(tenant)

    def add():
        partition_actions.create_client_partition(
            ClientPartition(tenant=tenant, name="Initech"), actor=admin
        )

    with held_open(add), lock_timeout(3):
        routed = call(tenant, "090-1212-0001")
        assert routed.partition == acme
        assert not ClientPartition.objects.filter(name="Initech").exists()

    assert ClientPartition.objects.filter(name="Initech").exists()


def test_concurrent_batches_sharing_message_ids_record_each_email_once(acme):
    # A gateway retrying a batch while the first attempt is still being recorded,
    # with the items in another order: no deadlock, no 500, one email per
    # Message-ID, every other item a duplicate.
    tenant = acme.tenant
    # Known senders: no sender lock orders the batches, only the emails' keys do.
    for i in range(40):
        factories.ContactFactory(
            tenant=tenant, partition=acme, email=f"s{i}@example.jp"
        )
    items = [
        {
            "service": "Acme Email",
            "channel": "email",
            "sender": f"s{i}@example.jp",
            "message_id": f"<batch-{i}@x>",
        }
        for i in range(40)
    ]
    batches = [items, items[::-1], items[10:] + items[:10], items[::-1]]

    outcomes = race([lambda b=b: route_interactions(tenant, b) for b in batches])

    assert not [o for o in outcomes if isinstance(o, Exception)], outcomes
    assert Email.objects.count() == 40
    recorded = [r for batch in outcomes for r in batch if not r.duplicate]
    assert len(recorded) == 40
