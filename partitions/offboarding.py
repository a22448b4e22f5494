"""Offboarding a BPO client at the end of its contract: disable, export, purge later.

The spec's "x" deletes a client at once; offboarding is the second, slower path
(GDPR Art. 28(3)(g): the controller chooses return or deletion, and the processor
certifies it). `offboard_client_partition` disables the client, exports its data as
the usual zip (kept on disk for "download again", partitions.export_store) and
schedules its purge `grace_days` later. Until then the client is read-only
(`refuse_offboarding_writes`: every write of its rows is refused) and an
administrator may cancel (`cancel_offboarding`), which leaves it disabled with its
data whole. `purge_due_client_partitions` purges those whose grace has ended through
the one delete path (partitions.deletion), which writes the deletion certificate;
the background worker runs it when the first purge falls due, cron may run
`partitions purge-due`. A client on legal hold is never purged.

Locks: only those of ccadmin/locks.py, tenant then partition
(lock_partition_for_change). Offboarding holds the partition's lock while it exports,
so routing (which shares the row) waits and then finds the client disabled: nothing
is assigned to the client after its export. A purge re-reads the client under the
same locks, so a purge racing a cancel, or two purges at once, each find the client
as the other left it.
"""

from __future__ import annotations

import contextlib
import hashlib
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.tasks import default_task_backend, task
from django.utils import formats, timezone
from django.utils.translation import gettext as _

from ccadmin import audit
from ccadmin.cli import system_user
from partitions.deletion import (
    ClientPartitionAlreadyDeleted,
    DeletionSummary,
    delete_client_partition,
    lock_partition_for_change,
)
from partitions.export import ExportManifest, export_to_path
from partitions.export_store import discard_export_on_commit, export_folder
from partitions.models import ClientPartition
from partitions.signals import partitions_changed

# The longest grace an administrator may give: ten years, past any contract's term.
MAX_GRACE_DAYS = 3650


@dataclass(frozen=True)
class Offboarding:
    """An offboarding just started: the export kept and when the purge falls due."""

    partition: ClientPartition
    manifest: ExportManifest
    export_path: Path
    export_sha256: str
    purge_due_at: datetime


def purge_date(partition: ClientPartition) -> str:
    """The day the purge falls due, in the contact center's words and time zone."""
    return formats.date_format(
        timezone.localtime(partition.purge_due_at), "DATE_FORMAT"
    )


def offboarding_label(partition: ClientPartition) -> str:
    """ "Offboarding: purge on <date>", as the admin's list and change page show it."""
    label = _("Offboarding: purge on %(date)s") % {"date": purge_date(partition)}
    if partition.legal_hold:
        label += " " + _("(on legal hold: not purged until the hold is lifted)")
    return label


def read_only_message(partition: ClientPartition) -> str:
    """Why a write of an offboarding client's data is refused."""
    return _(
        '"%(name)s" is being offboarded: its data is read-only until the purge on '
        "%(date)s. Cancel the offboarding to change it."
    ) % {"name": partition.name, "date": purge_date(partition)}


def refuse_offboarding_writes(client_id: int | None) -> None:
    """Refuse (ValidationError) a write of a row of an offboarding client. Called by
    ccadmin.writes for every add, change and delete of a client's rows (registered
    in partitions.apps), so the admin, the agent desktop and the commands are all
    refused in one place."""
    if client_id is None:
        return
    partition = ClientPartition.objects.filter(
        pk=client_id, offboarding_requested_at__isnull=False
    ).first()
    if partition is not None:
        raise ValidationError(read_only_message(partition), code="offboarding")


def _grace(grace_days: int | None) -> int:
    days = settings.CLIENT_PARTITION_OFFBOARDING_GRACE_DAYS
    days = days if grace_days is None else grace_days
    if not isinstance(days, int) or not 0 <= days <= MAX_GRACE_DAYS:
        raise ValidationError(
            {
                "grace_days": _(
                    "The grace period is a number of days from 0 to %(max)s."
                )
                % {"max": MAX_GRACE_DAYS}
            },
            code="grace_days",
        )
    return days


def offboard_client_partition(
    partition: ClientPartition, *, grace_days: int | None = None, actor
) -> Offboarding:
    """Offboard a BPO client, in one transaction: disable it, export its data (the
    zip of partitions.export, kept for "download again"), and schedule its purge
    `grace_days` later (default CLIENT_PARTITION_OFFBOARDING_GRACE_DAYS).

    Raises ValidationError for a bad grace period, or a client already offboarding
    or being deleted; ClientPartitionAlreadyDeleted if it is gone. Nothing is
    written, and no file is left, when it fails.
    """
    days = _grace(grace_days)
    path: Path | None = None
    try:
        with transaction.atomic():
            current = lock_partition_for_change(partition)
            if current.is_deleting:
                raise ValidationError(
                    _('"%(name)s" is being deleted.') % {"name": current.name},
                    code="deleting",
                )
            if current.is_offboarding:
                raise ValidationError(
                    _('"%(name)s" is already being offboarded: purge on %(date)s.')
                    % {"name": current.name, "date": purge_date(current)},
                    code="offboarding",
                )
            now = timezone.now()
            due = now + timedelta(days=days)
            if current.enabled:
                # The disable is audited as the admin's "Disable" would be.
                before = audit.snapshot(current)
                ClientPartition.objects.filter(pk=current.pk).update(enabled=False)
                current.enabled = False
                partitions_changed([current.tenant_id])
                audit.log_change(actor, [current], before=before)

            folder = export_folder(current.tenant_id)
            path = folder / f"{current.pk}-{now:%Y%m%d%H%M%S%f}.zip"
            manifest = export_to_path(current, path, actor=actor)
            with path.open("rb") as exported:
                sha256 = hashlib.file_digest(exported, "sha256").hexdigest()

            ClientPartition.objects.filter(pk=current.pk).update(
                offboarding_requested_at=now,
                offboarding_requested_by=(actor or system_user()).get_username(),
                purge_due_at=due,
                offboarding_export_name=path.name,
                offboarding_export_sha256=sha256,
            )
            # update() sends no signal: the API's cached list shows "offboarding".
            partitions_changed([current.tenant_id])
            current.refresh_from_db()
            audit.log_event(
                actor,
                current,
                _(
                    "Offboarded: disabled, exported (SHA-256 %(sha)s), purge on "
                    "%(date)s."
                )
                % {"sha": sha256, "date": purge_date(current)},
            )
            _schedule_purge(due)
    except BaseException:
        if path is not None:
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
        raise
    return Offboarding(
        partition=current,
        manifest=manifest,
        export_path=path,
        export_sha256=sha256,
        purge_due_at=due,
    )


def cancel_offboarding(partition: ClientPartition, *, actor) -> ClientPartition:
    """Cancel a client's offboarding: it stays disabled with its data whole, and
    becomes writable again; its kept export is deleted (the data is in the database
    again, and a copy nobody needs is a copy to lose).

    Raises ValidationError if it is not being offboarded, ClientPartitionAlreadyDeleted
    if it was purged meanwhile.
    """
    with transaction.atomic():
        current = lock_partition_for_change(partition)
        if not current.is_offboarding:
            raise ValidationError(
                _('"%(name)s" is not being offboarded.') % {"name": current.name},
                code="not_offboarding",
            )
        discard_export_on_commit(current.tenant_id, current.offboarding_export_name)
        ClientPartition.objects.filter(pk=current.pk).update(
            offboarding_requested_at=None,
            offboarding_requested_by="",
            purge_due_at=None,
            offboarding_export_name="",
            offboarding_export_sha256="",
        )
        # update() sends no signal: the API's cached list shows "offboarding".
        partitions_changed([current.tenant_id])
        audit.log_event(
            actor,
            current,
            _("Offboarding cancelled: the client stays disabled, with its data."),
        )
        current.refresh_from_db()
    return current


def record_export_download(partition: ClientPartition, *, actor) -> None:
    """Audit that `actor` downloaded the kept export of an offboarding client again:
    a copy of the client's personal data left the system."""
    audit.log_export(
        actor,
        partition,
        _("Downloaded the offboarding export (SHA-256 %(sha)s).")
        % {"sha": partition.offboarding_export_sha256},
    )


@dataclass
class PurgeReport:
    """What one run of `purge_due_client_partitions` did, client by client."""

    purged: list[DeletionSummary] = field(default_factory=list)
    # (client name, why it was not purged): a legal hold.
    held: list[tuple[str, str]] = field(default_factory=list)


def due_for_purge(now: datetime | None = None):
    """The offboarding clients whose grace has ended, on hold or not."""
    return ClientPartition.objects.filter(
        offboarding_requested_at__isnull=False,
        purge_due_at__lte=now or timezone.now(),
    ).order_by("tenant_id", "pk")


def purge_due_client_partitions(
    *, actor=None, now: datetime | None = None
) -> PurgeReport:
    """Purge every offboarded client whose grace has ended, each in its own
    transaction, through the one delete path (which certifies it). Clients on legal
    hold are left, and reported with the reason.

    Idempotent and safe to run twice at once: each client is re-read under its
    tenant's and its own lock (ccadmin/locks.py), so one cancelled, put on hold or
    purged by another run meanwhile is left alone.
    """
    now = now or timezone.now()
    report = PurgeReport()
    for candidate in due_for_purge(now):
        try:
            with transaction.atomic():
                current = lock_partition_for_change(candidate)
                if not current.is_offboarding or current.purge_due_at > now:
                    continue  # cancelled (or offboarded again) meanwhile
                if current.legal_hold:
                    report.held.append((current.name, current.legal_hold_reason))
                    continue
                report.purged.append(
                    delete_client_partition(current, actor=actor, purge=True)
                )
        except ClientPartitionAlreadyDeleted:
            continue  # purged by another run, or deleted by "x"
    return report


def purge_after_hold_lifted(partition: ClientPartition) -> None:
    """When a legal hold is lifted from an offboarding client whose purge fell due
    meanwhile (the worker's run at the due date skipped it), have the worker purge
    it now; a purge still to come needs nothing (its task is waiting)."""
    if partition.is_offboarding and partition.purge_due_at <= timezone.now():
        _schedule_purge(timezone.now())


def _schedule_purge(when: datetime) -> None:
    """Have the background worker run the purge when it falls due. The task row is
    written in the offboarding's transaction; a cancelled offboarding leaves the
    task, which then finds nothing due. Backends that cannot defer a task (the
    immediate one) leave it to `partitions purge-due` from cron."""
    if default_task_backend.supports_defer:
        purge_due_client_partitions_task.using(run_after=when).enqueue()


@task()
def purge_due_client_partitions_task() -> dict:
    """The background worker's purge (`python manage.py db_worker`), enqueued by each
    offboarding to run when its purge falls due: purge_due_client_partitions, which
    finds nothing to do when the offboarding was cancelled or another run (cron's
    `partitions purge-due`) purged it first."""
    report = purge_due_client_partitions()
    return {
        "purged": [summary.name for summary in report.purged],
        "held": [name for name, _reason in report.held],
    }
