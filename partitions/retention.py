"""Retention: a client's activity history and emails older than its `retention_days`
are deleted, every day, unless the client is on legal hold.

partitions decides which clients and from when (this module: the schedule, the legal
hold, the dry run, the audit entries); the app that owns the records counts and
deletes them (contacts registers its emails and activity history with
partitions.registry.register_expiring, and deletes them in contacts.actions), since
partitions may not import contacts.

The boundary: a record is deleted when it is strictly older than `retention_days`
days at the start of the run (`occurred_at < now - N days`): one exactly N days old is
kept, and goes in the next day's run.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.admin.models import CHANGE
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _

from ccadmin import audit
from ccadmin.counts import counts_in_words
from partitions import registry
from partitions.models import ClientPartition

# The Properties only an administrator may set (partitions.actions enforces it).
RETENTION_FIELDS = frozenset({"retention_days", "legal_hold", "legal_hold_reason"})
SET_RETENTION_PERMISSION = "partitions.set_retention_clientpartition"


def may_set_retention(actor) -> bool:
    """Whether `actor` may set a client's retention or legal hold: a contact
    center's administrator (or a superuser), never a client supervisor. None is the
    system itself (a migration, a test's set-up), which may."""
    return actor is None or actor.has_perm(SET_RETENTION_PERMISSION)


@dataclass
class ClientRetention:
    """What one run of retention did, or would do, to one client."""

    partition: ClientPartition
    cutoff: datetime | None
    counts: dict[str, int] = field(default_factory=dict)

    @property
    def held(self) -> bool:
        """Whether a legal hold suspended the client's retention."""
        return self.partition.legal_hold

    @property
    def rows(self) -> int:
        return sum(self.counts.values())

    def describe(self) -> str:
        """The counts in words: "7 activity entries, 1 email"."""
        return counts_in_words(self.counts)


def cutoff_of(partition: ClientPartition, now: datetime) -> datetime:
    """The instant before which the client's records go: `now` minus its days."""
    return now - timedelta(days=partition.retention_days)


def clients_with_retention():
    """Clients whose retention is set, by tenant and name; clients being deleted in
    the background are left to that deletion, and clients being offboarded are
    read-only until their purge (their export and certificate must describe the
    same data)."""
    return (
        ClientPartition.objects.filter(
            retention_days__isnull=False,
            deletion_requested_at__isnull=True,
            offboarding_requested_at__isnull=True,
        )
        .select_related("tenant")
        .order_by("tenant__name", "name", "pk")
    )


def plan_retention(
    now: datetime | None = None, *, count: bool = True
) -> list[ClientRetention]:
    """What retention would delete now, per client and per kind (COUNT queries
    only: nothing is deleted or audited). Held clients are listed with no counts.

    `count=False` gives only the clients and their cutoffs: a real run counts what it
    deletes as it goes, and counting first would read the expired rows twice.
    """
    now = now or timezone.now()
    plans = []
    for partition in clients_with_retention():
        if partition.legal_hold:
            plans.append(ClientRetention(partition, None))
            continue
        cutoff = cutoff_of(partition, now)
        counts: dict[str, int] = {}
        for records in registry.expiring() if count else ():
            counts.update(records.count(partition, cutoff))
        plans.append(ClientRetention(partition, cutoff, counts))
    return plans


def apply_retention(
    plans: list[ClientRetention] | None = None,
    *,
    progress: Callable[[int], None] | None = None,
    actor=None,
) -> list[ClientRetention]:
    """Delete what `plans` (plan_retention(), by default now) says, client by client,
    in the owners' bounded batches (each its own transaction, so locks stay short),
    and write one audit entry per client with what went, or why nothing did (legal
    hold). Returns what was deleted. `progress(rows)` is called after each batch.

    A hold placed after planning is still honoured: each client's hold is read again
    just before its deletion begins, and by the owners before each batch (so a hold
    placed during a client's deletion stops it after the batch under way).
    """
    plans = plan_retention(count=False) if plans is None else plans
    done = []
    for plan in plans:
        partition = (
            ClientPartition.objects.select_related("tenant")
            .filter(pk=plan.partition.pk)
            .first()
        )
        if partition is None or partition.is_deleting:
            continue  # deleted, or being deleted, since the plan
        if partition.legal_hold or plan.cutoff is None:
            done.append(ClientRetention(partition, None))
            audit.record(actor, [partition], CHANGE, _held_message(partition))
            continue
        counts: dict[str, int] = {}
        for records in registry.expiring():
            counts.update(records.delete(partition, plan.cutoff, progress))
        result = ClientRetention(partition, plan.cutoff, counts)
        done.append(result)
        message = _deleted_message(result)
        # The owners stop at a hold placed while they deleted: say so, and why.
        partition.refresh_from_db(fields=["legal_hold", "legal_hold_reason"])
        if partition.legal_hold:
            message = f"{message} {_held_message(partition)}"
        audit.record(actor, [partition], CHANGE, message)
    return done


def _held_message(partition: ClientPartition) -> str:
    return _("Retention suspended by a legal hold: %(reason)s") % {
        "reason": partition.legal_hold_reason
    }


def _deleted_message(result: ClientRetention) -> str:
    return _("Retention (%(days)s days): deleted %(what)s older than %(cutoff)s.") % {
        "days": result.partition.retention_days,
        "what": result.describe(),
        "cutoff": _local(result.cutoff, result.partition.tenant.zone),
    }


def _local(value: datetime, zone) -> str:
    """A time in the tenant's zone, named: "Dec. 1, 2026, 9:45 a.m. JST" (the
    worker and the command run in no reader's zone)."""
    when = timezone.localtime(value, zone)
    return f"{date_format(when, 'DATETIME_FORMAT', use_l10n=True)} {when.tzname()}"
