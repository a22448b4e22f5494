"""Deleting a client partition: what it removes, and the one-transaction delete.

The lower half of the delete path, below partitions.actions and partitions.tasks:
actions decides whether a delete runs now or in the background worker, the task runs
it there, and both end in `delete_client_partition` here. Keeping it below both lets
actions import the task without the task importing actions back.

What a client holds comes from partitions.registry (contacts, companies, emails,
activity history deleted with it; services unassigned), so this module names no app
above partitions.
"""

from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Model
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from ccadmin import audit
from ccadmin.cli import system_user
from ccadmin.counts import count_of
from ccadmin.locks import lock_tenant
from partitions import registry
from partitions.export_store import discard_export_on_commit
from partitions.locks import lock_client_partition
from partitions.messages import delete_question
from partitions.models import ClientPartition, DeletionCertificate


class DeletionRefused(Exception):
    """A delete of a client partition that cannot go ahead; the message says why."""


class ClientPartitionAlreadyDeleted(DeletionRefused):
    """The partition was deleted by someone else before this delete ran."""


class ClientPartitionOnLegalHold(DeletionRefused):
    """The partition is on legal hold: its data stays until an administrator lifts
    the hold, whoever asks to delete it (the "x", a purge, the command)."""


def refuse_if_held(partition: ClientPartition) -> None:
    """Raise ClientPartitionOnLegalHold for a client on legal hold (read under its
    lock by the caller)."""
    if partition.legal_hold:
        raise ClientPartitionOnLegalHold(
            _(
                'The client partition "%(name)s" is on legal hold (%(reason)s): an '
                "administrator must lift the hold before it can be deleted."
            )
            % {"name": partition.name, "reason": partition.legal_hold_reason}
        )


@dataclass(frozen=True)
class DeletionSummary:
    """What deleting a client partition removes: counts, and the services unassigned."""

    partition_id: int
    name: str
    contacts: int
    companies: int
    emails: int
    activities: int
    # The Service rows (services app), listed by name on the confirmation page.
    services: list[Model] = field(default_factory=list)

    @property
    def rows(self) -> int:
        """How many rows of client data go: what the deletion's time depends on."""
        return self.contacts + self.companies + self.emails + self.activities

    def describe(self) -> str:
        """What went, for messages and the audit trail: "1,204 contacts, 7 companies,
        3,310 emails, 9,882 activity entries; 2 services unassigned"."""
        return _(
            "%(contacts)s, %(companies)s, %(emails)s, %(activities)s; %(services)s"
        ) % {
            **{
                kind: count_of(kind, getattr(self, kind))
                for kind in ("contacts", "companies", "emails", "activities")
            },
            "services": ngettext(
                "%(count)s service unassigned",
                "%(count)s services unassigned",
                len(self.services),
            )
            % {"count": f"{len(self.services):,}"},
        }

    @property
    def question(self) -> str:
        """The spec's confirmation question about this client (partitions.messages)."""
        return delete_question(self.name)

    def deleted_message(self) -> str:
        """The message shown after the delete: 'Client partition "X" deleted: ...'."""
        return _('Client partition "%(name)s" deleted: %(what)s') % {
            "name": self.name,
            "what": self.describe(),
        }


def deletion_summary(partition: ClientPartition) -> DeletionSummary:
    """Count what deleting the partition would remove: COUNT queries, never a walk
    over the rows, so the work is bounded whatever the client's size. The kinds of
    record come from partitions.registry: each owned kind is counted, each assigned
    kind (services) listed."""
    return DeletionSummary(
        partition_id=partition.pk,
        name=partition.name,
        **{c.key: c.of(partition).count() for c in registry.owned()},
        **{c.key: list(c.of(partition)) for c in registry.assigned()},
    )


def delete_client_partition(
    partition: ClientPartition, *, actor, purge: bool = False
) -> DeletionSummary:
    """Delete a BPO client with all its contacts, companies, emails and activity
    history, unassigning its services, in one transaction; audit it with the counts
    and write its DeletionCertificate in the same transaction.

    `purge` says that this is the purge of an offboarded client (partitions.
    offboarding): the certificate then names whoever offboarded it, and when.
    Raises ClientPartitionAlreadyDeleted if it is already gone,
    ClientPartitionOnLegalHold if it is on legal hold.
    """
    with transaction.atomic():
        current = lock_partition_for_change(partition)
        refuse_if_held(current)
        summary = deletion_summary(current)
        entry = audit.log_deletion(actor, current, summary.deleted_message())
        _certify(current, summary, actor=actor, purge=purge, audit_entry=entry)
        discard_export_on_commit(current.tenant_id, current.offboarding_export_name)
        # The database deletes the children (DB_CASCADE) and unassigns the services
        # (DB_SET_NULL): nothing is loaded into Python, whatever the size.
        ClientPartition.objects.filter(pk=current.pk).delete()
    return summary


def _certify(
    partition: ClientPartition,
    summary: DeletionSummary,
    *,
    actor,
    purge: bool,
    audit_entry,
) -> DeletionCertificate:
    """Write the certificate of this deletion: who asked and when (the offboarding
    for a purge, the background request for a large delete, else now), the counts,
    the export's SHA-256 if the client was exported for offboarding."""
    now = timezone.now()
    if purge and partition.is_offboarding:
        requested_by = partition.offboarding_requested_by
        requested_at = partition.offboarding_requested_at
    else:
        requested_by = (actor or system_user()).get_username()
        requested_at = partition.deletion_requested_at or now
    return DeletionCertificate.objects.create(
        tenant_id=partition.tenant_id,
        client_partition_id=partition.pk,
        client_partition_name=partition.name,
        kind=DeletionCertificate.KIND_PURGE
        if purge
        else DeletionCertificate.KIND_DELETE,
        requested_by=requested_by,
        requested_at=requested_at,
        deleted_at=now,
        counts={
            "contacts": summary.contacts,
            "companies": summary.companies,
            "emails": summary.emails,
            "activities": summary.activities,
            "services": len(summary.services),
        },
        export_sha256=partition.offboarding_export_sha256,
        audit_entry_id=audit_entry.pk,
    )


def lock_partition_for_change(partition: ClientPartition) -> ClientPartition:
    """Lock the partition's tenant, then the partition (the order every path takes,
    so none deadlocks another) and return it as it is now; raise
    ClientPartitionAlreadyDeleted if it is gone. Call inside a transaction."""
    lock_tenant(partition.tenant_id)
    current = lock_client_partition(partition.pk)
    if current is None:
        raise ClientPartitionAlreadyDeleted(
            _('The client partition "%(name)s" has already been deleted.')
            % {"name": partition.name}
        )
    return current
