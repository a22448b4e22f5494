"""Operations on client partitions: the one path the admin, commands and views share.

Each function runs in one transaction and writes an audit entry. The limit is checked
under a lock on the tenant row, so concurrent adds never pass it; a delete locks the
partition row, counts what goes, and lets the database cascade (DB_CASCADE).
"""

from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.tasks import TaskResult
from django.utils import timezone
from django.utils.translation import gettext as _

from ccadmin import audit
from ccadmin.locks import lock_tenant

# The delete itself lives one level down (partitions.deletion) so that the background
# task can run it without importing this module back; it is offered here too, so
# every caller finds each operation on a client partition in this one place.
from partitions.deletion import (
    ClientPartitionAlreadyDeleted as ClientPartitionAlreadyDeleted,
)
from partitions.deletion import (
    ClientPartitionOnLegalHold as ClientPartitionOnLegalHold,
)
from partitions.deletion import (
    DeletionRefused as DeletionRefused,
)
from partitions.deletion import (
    DeletionSummary,
    delete_client_partition,
    deletion_summary,
    lock_partition_for_change,
    refuse_if_held,
)
from partitions.limit import ensure_capacity
from partitions.messages import being_deleted_message
from partitions.models import ClientPartition

# Offboarding (disable, export, purge after a grace period) and its purge live in
# partitions.offboarding; offered here with every other operation on a client.
from partitions.offboarding import (
    Offboarding as Offboarding,
)
from partitions.offboarding import (
    PurgeReport as PurgeReport,
)
from partitions.offboarding import (
    cancel_offboarding as cancel_offboarding,
)
from partitions.offboarding import (
    offboard_client_partition as offboard_client_partition,
)
from partitions.offboarding import purge_after_hold_lifted, read_only_message
from partitions.offboarding import (
    purge_due_client_partitions as purge_due_client_partitions,
)
from partitions.offboarding import (
    record_export_download as record_export_download,
)
from partitions.retention import RETENTION_FIELDS, may_set_retention
from partitions.signals import partitions_changed
from partitions.tasks import delete_client_partition_in_background


def create_client_partition(partition: ClientPartition, *, actor) -> ClientPartition:
    """Add a BPO client to its tenant, within the tenant's partition limit.

    Raises ClientPartitionLimitReached at the limit, ValidationError for a bad or
    duplicate name, PermissionDenied when someone other than an administrator gives
    it a retention or legal hold; nothing is written in any case.
    """
    _ensure_may_set_retention(
        actor, [f for f in RETENTION_FIELDS if _is_set(partition, f)]
    )
    with transaction.atomic():
        tenant = lock_tenant(partition.tenant_id)
        ensure_capacity(tenant)
        partition.full_clean()
        _save_unique(partition)
        audit.log_addition(actor, partition)
    return partition


# What an administrator may change on a partition; the deletion_* fields belong to
# the deletion policy below and tenant never changes.
# (RETENTION_FIELDS: retention_days, legal_hold, legal_hold_reason.)
CHANGEABLE_FIELDS = frozenset({"name", "description", "enabled", *RETENTION_FIELDS})
# What may still change while the client is offboarding (read-only otherwise): a
# legal hold is put on, or lifted, precisely then.
CHANGEABLE_WHILE_OFFBOARDING = frozenset({"legal_hold", "legal_hold_reason"})


def update_client_partition(
    partition: ClientPartition, *, actor, changed: list[str]
) -> ClientPartition:
    """Save a partition's new name, description, enabled state, retention or legal
    hold, and audit it.

    Retention and legal hold (RETENTION_FIELDS) are set by administrators only
    (`may_set_retention`): anyone else is refused with PermissionDenied.

    `changed` names the fields changed: only those are written (with updated_at, and
    name_key with the name), so an instance loaded before another administrator's
    change never writes that change back. Locks the tenant, then the partition, and
    refuses (ValidationError) while the client is being deleted in the background: a
    stale form must not re-enable it or erase its deletion mark. Raises
    ClientPartitionAlreadyDeleted if it is gone.
    """
    unknown = set(changed) - CHANGEABLE_FIELDS
    if unknown:
        raise ValueError(f"Not changeable here: {', '.join(sorted(unknown))}")
    _ensure_may_set_retention(actor, changed)
    with transaction.atomic():
        # The tenant first (saving bumps its version), then the partition.
        current = lock_partition_for_change(partition)
        if current.is_deleting:
            raise ValidationError(being_deleted_message(current), code="deleting")
        if current.is_offboarding and set(changed) - CHANGEABLE_WHILE_OFFBOARDING:
            raise ValidationError(read_only_message(current), code="offboarding")
        partition.full_clean()
        if changed:
            fields = {*changed, "updated_at"}
            if "name" in changed:
                fields.add("name_key")
            _save_unique(partition, update_fields=sorted(fields))
        # The entry compares the stored row with the stored row plus the changed
        # fields: a stale instance's other values were not written, so not audited.
        before = audit.snapshot(current)
        was_held = current.legal_hold
        for name in changed:
            setattr(current, name, getattr(partition, name))
        audit.log_change(actor, [current], before=before)
        if was_held and not current.legal_hold:
            purge_after_hold_lifted(current)
    return partition


def set_client_partitions_enabled(
    partitions: QuerySet[ClientPartition], *, enabled: bool, actor
) -> list[ClientPartition]:
    """Enable or disable the given partitions; return those whose state changed.

    Disabled clients leave the agents' drop-downs and stop receiving interactions.
    """
    with transaction.atomic():
        # Tenants first, then partitions: the order every path takes (ccadmin/locks).
        tenant_ids = partitions.order_by().values_list("tenant_id", flat=True)
        for tenant_id in sorted(set(tenant_ids)):
            lock_tenant(tenant_id)
        changing = partitions.select_for_update().filter(enabled=not enabled)
        if enabled:
            # A client being deleted stays disabled until it is gone, and one being
            # offboarded until the purge (a cancel leaves it disabled too).
            changing = changing.filter(
                deletion_requested_at__isnull=True,
                offboarding_requested_at__isnull=True,
            )
        changing = list(changing.order_by("pk"))
        befores = [audit.snapshot(partition) for partition in changing]
        ClientPartition.objects.filter(pk__in=[p.pk for p in changing]).update(
            enabled=enabled
        )
        for partition in changing:
            partition.enabled = enabled
        # update() sends no signal: say it here (see partitions/signals.py).
        partitions_changed({p.tenant_id for p in changing})
        audit.log_change(actor, changing, before=befores)
    return changing


@dataclass(frozen=True)
class ScheduledDeletion:
    """A deletion too large for a web request, handed to the background worker."""

    summary: DeletionSummary
    task_id: str
    # The worker's result, as enqueued: `partitions delete --wait` follows it.
    task_result: TaskResult | None = field(default=None, compare=False, repr=False)

    @property
    def expected_seconds(self) -> int:
        """How long it should take at the measured deletion speed."""
        rate = settings.CLIENT_PARTITION_DELETE_ROWS_PER_SECOND
        return max(1, round(self.summary.rows / rate))


def delete_or_schedule_client_partition(
    partition: ClientPartition, *, actor
) -> DeletionSummary | ScheduledDeletion:
    """The deletion policy of every confirmed delete, in the admin and in
    `partitions delete`: delete the client now, or, when it holds more rows than
    CLIENT_PARTITION_BACKGROUND_DELETE_ROWS, disable it, mark it deleting and hand the
    deletion to the background worker.

    Why: the delete is one transaction whose time grows with the client's rows
    (~150,000 rows/s measured, bench/RESULTS.md). Above the threshold (2,000,000 rows,
    about 13 s) it would outlast a web request and hold the client's locks for as
    long, so the worker does it while the client, already disabled, receives nothing.
    The command line follows the same rule so that a script and an administrator see
    the same outcome; `partitions delete --wait` blocks until the worker is done.
    """
    summary = deletion_summary(partition)
    if summary.rows <= settings.CLIENT_PARTITION_BACKGROUND_DELETE_ROWS:
        return delete_client_partition(partition, actor=actor)
    return schedule_client_partition_deletion(partition, actor=actor, summary=summary)


def schedule_client_partition_deletion(
    partition: ClientPartition, *, actor, summary: DeletionSummary | None = None
) -> ScheduledDeletion:
    """Disable the client, mark it deleting and enqueue its deletion, in one
    transaction (the task row is written with it, so a rollback leaves nothing)."""
    with transaction.atomic():
        locked = lock_partition_for_change(partition)
        refuse_if_held(locked)
        summary = summary or deletion_summary(locked)
        # Marked before the task is enqueued: a backend that runs tasks at once (the
        # immediate backend) then deletes a client already marked, and the audit
        # trail reads "disabled", then "deleted".
        before = audit.snapshot(locked)
        marked = ClientPartition.objects.filter(pk=locked.pk)
        marked.update(
            enabled=False,
            deletion_requested_at=timezone.now(),
            deletion_rows=summary.rows,
        )
        partitions_changed([locked.tenant_id])
        locked.enabled = False
        audit.log_change(actor, [locked], before=before)
        result = delete_client_partition_in_background.enqueue(
            partition_id=locked.pk, actor_id=actor.pk
        )
        marked.update(deletion_task_id=str(result.id))
    return ScheduledDeletion(
        summary=summary, task_id=str(result.id), task_result=result
    )


def _is_set(partition: ClientPartition, name: str) -> bool:
    """Whether a new partition's field differs from its default (None, False, "")."""
    return bool(getattr(partition, name))


def _ensure_may_set_retention(actor, changed) -> None:
    """Refuse (PermissionDenied) a change of retention or legal hold by anyone but an
    administrator. Checked here, in the one writer, not only by the admin's form: a
    client supervisor may change the other Properties of their clients, never these.
    """
    if RETENTION_FIELDS & set(changed) and not may_set_retention(actor):
        raise PermissionDenied(
            _("Only an administrator may set a client's retention or legal hold.")
        )


def _save_unique(
    partition: ClientPartition, update_fields: list[str] | None = None
) -> None:
    """Save, turning a lost race on the unique name into the form's own error."""
    try:
        with transaction.atomic():
            partition.save(update_fields=update_fields)
    except IntegrityError as exc:
        taken = partition.name_taken_message()
        if taken:
            raise ValidationError({"name": taken}, code="unique") from exc
        raise
