"""Retention and legal hold (issue 13, item 4): a client's emails and activity history
older than its `retention_days` are deleted, in bounded batches, by `apply_retention`
and the worker's daily run; a legal hold suspends it and says why; only an
administrator sets either.

The boundary, as partitions.retention states it: a record exactly N days old is kept
(deleted are those strictly older than now - N days).
"""

import io
from datetime import timedelta

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from contacts.actions import delete_expired_history
from contacts.models import Activity, Email, EmailSource
from partitions import actions
from partitions.retention import apply_retention, plan_retention
from partitions.tasks import apply_retention_daily, schedule_daily_retention
from tests import factories
from tests.processes import run_manage

DAY = timedelta(days=1)


def history(partition, *ages: timedelta, now=None):
    """One email with its activity entry, at each age before `now`, of the client."""
    now = now or timezone.now()
    for age in ages:
        contact = factories.ContactFactory(tenant=partition.tenant, partition=partition)
        email = factories.EmailFactory(
            tenant=partition.tenant,
            partition=partition,
            contact=contact,
            sent_at=now - age,
        )
        factories.ActivityFactory(
            tenant=partition.tenant,
            partition=partition,
            contact=contact,
            email=email,
            channel=Activity.Channel.EMAIL,
            occurred_at=now - age,
        )


def calls(partition, *ages: timedelta, now=None):
    """One call (an activity entry with no email) at each age before `now`."""
    now = now or timezone.now()
    for age in ages:
        factories.ActivityFactory(
            tenant=partition.tenant, partition=partition, occurred_at=now - age
        )


def kept(partition) -> tuple[int, int]:
    """(emails, activity entries) the client still holds."""
    return (
        Email.objects.filter(partition=partition).count(),
        Activity.objects.filter(partition=partition).count(),
    )


def retention_command(*args) -> str:
    out = io.StringIO()
    call_command("apply_retention", *args, stdout=out, stderr=io.StringIO())
    return out.getvalue()


# ----- the boundary, per client, none when null ------------------------------------


def test_exactly_n_days_old_is_kept_and_a_moment_older_is_deleted(tenant):
    # given a client keeping 30 days, with entries exactly 30 days old and 1 µs older
    now = timezone.now()
    acme = factories.ClientPartitionFactory(tenant=tenant, retention_days=30)
    history(acme, 30 * DAY, 30 * DAY + timedelta(microseconds=1), now=now)
    calls(acme, 30 * DAY, 30 * DAY + timedelta(microseconds=1), now=now)
    # when retention runs at that instant
    [done] = apply_retention(plan_retention(now))
    # then the older email, its activity entry and the older call went
    assert done.counts == {"activities": 2, "emails": 1}
    assert kept(acme) == (1, 2)
    assert Email.objects.get(partition=acme).sent_at == now - 30 * DAY
    assert set(Activity.objects.values_list("occurred_at", flat=True)) == {
        now - 30 * DAY
    }


def test_retention_is_per_client_and_null_keeps_forever(tenant, other_tenant):
    # given a client keeping 7 days, one keeping forever, and another tenant's client
    # keeping 365 days, all with a year-old and a day-old history
    short = factories.ClientPartitionFactory(tenant=tenant, retention_days=7)
    forever = factories.ClientPartitionFactory(tenant=tenant, retention_days=None)
    elsewhere = factories.ClientPartitionFactory(
        tenant=other_tenant, retention_days=365
    )
    for partition in (short, forever, elsewhere):
        history(partition, 400 * DAY, DAY)
    # when retention runs
    done = apply_retention()
    # then each client lost only what is older than its own retention
    assert kept(short) == (1, 1)
    assert kept(forever) == (2, 2)
    assert kept(elsewhere) == (1, 1)
    assert {d.partition.pk for d in done} == {short.pk, elsewhere.pk}


def test_an_email_takes_its_original_message_and_activity_entries_with_it(tenant):
    # given an old email with its original message and a later reply logged on it
    acme = factories.ClientPartitionFactory(tenant=tenant, retention_days=10)
    email = factories.email_with_source(tenant, partition=acme)
    Email.objects.filter(pk=email.pk).update(sent_at=timezone.now() - 20 * DAY)
    factories.ActivityFactory(
        tenant=tenant, partition=acme, email=email, occurred_at=timezone.now()
    )
    plan = plan_retention()
    # when retention runs
    [done] = apply_retention(plan)
    # then the email, its source and its (recent) activity entry went, counted
    assert not EmailSource.objects.filter(email_id=email.pk).exists()
    assert kept(acme) == (0, 0)
    assert done.counts == plan[0].counts
    assert done.counts["emails"] == 1


# ----- legal hold --------------------------------------------------------------------


def test_legal_hold_suspends_retention_and_says_why(tenant):
    # given a client on legal hold with a year-old history
    held = factories.ClientPartitionFactory(
        tenant=tenant,
        name="Acme",
        retention_days=30,
        legal_hold=True,
        legal_hold_reason="Litigation 2026-17",
    )
    history(held, 365 * DAY)
    # when retention runs from the command line
    output = retention_command()
    # then nothing went, and the output and the audit trail say why
    assert kept(held) == (1, 1)
    assert "Acme: on legal hold (Litigation 2026-17): nothing deleted." in output
    entry = LogEntry.objects.get(object_id=str(held.pk), action_flag=CHANGE)
    assert "Litigation 2026-17" in entry.change_message


def test_a_hold_placed_after_planning_is_honoured(tenant, admin_user):
    # given a plan made while the client was not held
    acme = factories.ClientPartitionFactory(tenant=tenant, retention_days=30)
    history(acme, 365 * DAY)
    plans = plan_retention()
    # when an administrator places a hold before the deletion begins
    acme.legal_hold, acme.legal_hold_reason = True, "Regulator inquiry"
    actions.update_client_partition(
        acme, actor=admin_user, changed=["legal_hold", "legal_hold_reason"]
    )
    [done] = apply_retention(plans)
    # then nothing goes
    assert done.held
    assert kept(acme) == (1, 1)


def test_a_hold_placed_during_a_clients_deletion_stops_it_after_that_batch(
    tenant, admin_user
):
    # given a client whose expired calls take several batches
    acme = factories.ClientPartitionFactory(tenant=tenant, retention_days=30)
    calls(acme, *[40 * DAY] * 6)

    def hold_after_first_batch(rows):
        acme.legal_hold, acme.legal_hold_reason = True, "Subpoena"
        actions.update_client_partition(
            acme, actor=admin_user, changed=["legal_hold", "legal_hold_reason"]
        )

    # when an administrator places a hold after the first batch of 2
    counts = delete_expired_history(
        acme, timezone.now() - 30 * DAY, hold_after_first_batch, batch_rows=2
    )
    # then no further batch ran
    assert counts == {"activities": 2, "emails": 0}
    assert kept(acme) == (0, 4)


def test_a_legal_hold_needs_a_reason(tenant, admin_user):
    acme = factories.ClientPartitionFactory(tenant=tenant)
    acme.legal_hold = True
    with pytest.raises(ValidationError) as refused:
        actions.update_client_partition(acme, actor=admin_user, changed=["legal_hold"])
    assert "legal_hold_reason" in refused.value.message_dict


def test_the_admin_list_and_change_page_show_the_hold_and_its_reason(
    admin_client, tenant
):
    held = factories.ClientPartitionFactory(
        tenant=tenant, legal_hold=True, legal_hold_reason="Litigation 2026-17"
    )
    factories.ClientPartitionFactory(tenant=tenant, retention_days=90)
    listing = admin_client.get(reverse("admin:partitions_clientpartition_changelist"))
    assert "Legal hold: Litigation 2026-17" in listing.text
    assert "90 days" in listing.text
    page = admin_client.get(
        reverse("admin:partitions_clientpartition_change", args=[held.pk])
    )
    assert "Litigation 2026-17" in page.text


# ----- only administrators -----------------------------------------------------------


def test_an_administrator_sets_retention_and_hold_under_properties(
    admin_client, tenant
):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    response = admin_client.post(
        reverse("admin:partitions_clientpartition_change", args=[acme.pk]),
        {
            "name": "Acme",
            "description": "",
            "enabled": "on",
            "retention_days": "90",
            "legal_hold": "on",
            "legal_hold_reason": "Litigation",
        },
    )
    assert response.status_code == 302
    acme.refresh_from_db()
    assert (acme.retention_days, acme.legal_hold, acme.legal_hold_reason) == (
        90,
        True,
        "Litigation",
    )


@pytest.mark.parametrize(
    "changes",
    [
        {"retention_days": 1},
        {"legal_hold": True, "legal_hold_reason": "Mine"},
        {"legal_hold_reason": "Lifted?"},
    ],
)
def test_a_client_supervisor_cannot_set_retention_or_hold(tenant, changes):
    acme = factories.ClientPartitionFactory(tenant=tenant)
    supervisor = factories.client_supervisor(tenant, clients=[acme])
    for name, value in changes.items():
        setattr(acme, name, value)
    with pytest.raises(PermissionDenied):
        actions.update_client_partition(acme, actor=supervisor, changed=list(changes))
    acme.refresh_from_db()
    assert (acme.retention_days, acme.legal_hold) == (None, False)


def test_a_client_supervisor_cannot_lift_a_hold_through_the_admin(tenant):
    # given a held client its supervisor may otherwise change
    acme = factories.ClientPartitionFactory(
        tenant=tenant, name="Acme", legal_hold=True, legal_hold_reason="Litigation"
    )
    supervisor = factories.client_supervisor(tenant, clients=[acme])
    browser = factories.signed_in(supervisor)
    url = reverse("admin:partitions_clientpartition_change", args=[acme.pk])
    # then the form shows the hold but offers no field for it
    form = browser.get(url).context["adminform"].form
    assert "legal_hold" not in form.fields
    assert "retention_days" not in form.fields
    # and a crafted POST lifting it changes the description only
    response = browser.post(
        url,
        {"name": "Acme", "description": "Notes", "enabled": "on", "legal_hold": ""},
    )
    assert response.status_code == 302
    acme.refresh_from_db()
    assert (acme.description, acme.legal_hold) == ("Notes", True)


# ----- dry run, audit, batches --------------------------------------------------------


def test_the_dry_run_deletes_nothing_and_reports_counts_per_client_and_kind(tenant):
    acme = factories.ClientPartitionFactory(
        tenant=tenant, name="Acme", retention_days=30
    )
    history(acme, 40 * DAY, 50 * DAY, DAY)
    calls(acme, 60 * DAY)
    output = retention_command("--dry-run")
    assert kept(acme) == (3, 4)
    assert f"{tenant.name} / Acme: would delete 3 activity entries, 2 emails." in (
        output
    )
    assert not LogEntry.objects.filter(object_id=str(acme.pk)).exists()


def test_each_run_audits_the_counts_per_client(tenant):
    acme = factories.ClientPartitionFactory(
        tenant=tenant, name="Acme", retention_days=30
    )
    beta = factories.ClientPartitionFactory(
        tenant=tenant, name="Beta", retention_days=5
    )
    history(acme, 40 * DAY)
    calls(beta, 10 * DAY, 20 * DAY)
    output = retention_command()
    assert "Acme: deleted 1 activity entry, 1 email." in output
    for partition, text in (
        (acme, "deleted 1 activity entry, 1 email older than"),
        (beta, "deleted 2 activity entries, 0 emails older than"),
    ):
        entry = LogEntry.objects.get(object_id=str(partition.pk), action_flag=CHANGE)
        assert text in entry.change_message
        assert entry.user.username == "ccadmin-system"


def test_batches_are_bounded_one_delete_statement_each(tenant):
    # given 7 expired calls and 3 expired emails, deleted 2 ids at a time
    acme = factories.ClientPartitionFactory(tenant=tenant, retention_days=30)
    calls(acme, *[40 * DAY] * 7)
    history(acme, *[40 * DAY] * 3)  # 3 more activity entries, with their emails
    activity_ids = list(Activity.objects.order_by("pk").values_list("pk", flat=True))
    email_ids = list(Email.objects.order_by("pk").values_list("pk", flat=True))
    activity_windows = len(range(activity_ids[0], activity_ids[-1] + 1, 2))
    email_windows = len(range(email_ids[0], email_ids[-1] + 1, 2))
    progress = []
    with CaptureQueriesContext(connection) as queries:
        counts = delete_expired_history(
            acme, timezone.now() - 30 * DAY, progress.append, batch_rows=2
        )
    # then every row went, window by window, each window a bounded number of queries
    assert counts == {"activities": 10, "emails": 3}
    assert kept(acme) == (0, 0)
    deletes = [q for q in queries if q["sql"].upper().startswith("DELETE")]
    # one DELETE per window of activity entries, two per window of emails (their
    # activity entries, then them)
    assert len(deletes) == activity_windows + 2 * email_windows
    # and besides, per window, only the read of the legal hold under a share lock,
    # its transaction's begin and end (savepoints here, inside the test's
    # transaction) and, on PostgreSQL, its asynchronous commit; plus one MIN/MAX per
    # kind.
    windows = activity_windows + email_windows
    per_window = 4 if connection.vendor == "postgresql" else 3
    assert len(queries) == 2 + len(deletes) + per_window * windows
    assert sum(progress) == 13 and all(rows <= 2 + 2 for rows in progress)


# ----- the daily run and the command line ---------------------------------------------


def test_the_daily_run_deletes_and_enqueues_tomorrows_once(tenant):
    acme = factories.ClientPartitionFactory(tenant=tenant, retention_days=30)
    history(acme, 40 * DAY)
    first = schedule_daily_retention()
    assert first is not None and first > timezone.now()
    assert schedule_daily_retention() is None  # already waiting: not twice
    DBTaskResult.objects.all().delete()  # as if the worker took it
    result = apply_retention_daily.call()
    assert result == {"clients": 1, "held": 0, "rows": 2}
    assert kept(acme) == (0, 0)
    waiting = DBTaskResult.objects.get(status="READY")
    assert waiting.task_path == apply_retention_daily.module_path
    assert timezone.now() < waiting.run_after <= timezone.now() + DAY


def test_schedule_option_enqueues_the_first_daily_run(tenant):
    out = retention_command("--schedule")
    assert "scheduled for" in out
    assert "already scheduled" in retention_command("--schedule")
    assert DBTaskResult.objects.filter(status="READY").count() == 1


def test_command_errors_are_one_stderr_line():
    both = run_manage("apply_retention", "--dry-run", "--schedule", env={"DEBUG": "1"})
    assert both.returncode == 1
    assert both.stderr.strip() == (
        "CommandError: Give --dry-run or --schedule, not both."
    )
    unknown = run_manage("apply_retention", "--days", "3", env={"DEBUG": "1"})
    assert unknown.returncode == 2
    assert len(unknown.stderr.strip().splitlines()) == 1
    assert "Traceback" not in unknown.stderr


def test_an_offboarding_client_keeps_its_history_until_the_purge(tenant, admin_user):
    # Read-only until the purge: its kept export and certificate describe the same
    # data. (partitions.retention.clients_with_retention, _held_or_gone per batch.)
    now = timezone.now()
    acme = factories.ClientPartitionFactory(tenant=tenant, retention_days=7)
    history(acme, 30 * DAY, now=now)
    actions.offboard_client_partition(acme, grace_days=5, actor=admin_user)

    assert [c.partition for c in plan_retention(now)] == []
    assert apply_retention(plan_retention(now)) == []
    assert kept(acme) == (1, 1)
