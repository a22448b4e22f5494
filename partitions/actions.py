"""Operations on client partitions: the one path the admin, commands and views share.

Each function runs in one transaction and writes an audit entry. The limit is checked
under a lock on the tenant row, so concurrent adds never pass it; a delete locks the
partition row, counts what goes, and lets the database cascade (DB_CASCADE).
"""

from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _

from ccadmin import audit
from ccadmin.locks import lock_tenant
from contacts.models import Activity, Company, Contact, Email
from partitions.limit import ensure_capacity
from partitions.models import ClientPartition
from partitions.signals import partitions_changed
from services.models import Service


class ClientPartitionAlreadyDeleted(Exception):
    """The partition was deleted by someone else before this delete ran."""


@dataclass(frozen=True)
class DeletionSummary:
    """What deleting a client partition removes: counts, and the services unassigned."""

    partition_id: int
    name: str
    contacts: int
    companies: int
    emails: int
    activities: int
    services: list[Service] = field(default_factory=list)

    def describe(self) -> str:
        """One sentence for messages and the audit trail."""
        return _(
            '"%(name)s": %(contacts)s contacts, %(companies)s companies, '
            "%(emails)s emails, %(activities)s activity entries; "
            "%(services)s services unassigned"
        ) % {
            "name": self.name,
            "contacts": f"{self.contacts:,}",
            "companies": f"{self.companies:,}",
            "emails": f"{self.emails:,}",
            "activities": f"{self.activities:,}",
            "services": len(self.services),
        }


def create_client_partition(partition: ClientPartition, *, actor) -> ClientPartition:
    """Add a BPO client to its tenant, within the tenant's partition limit.

    Raises ClientPartitionLimitReached at the limit, ValidationError for a bad or
    duplicate name; nothing is written in either case.
    """
    with transaction.atomic():
        tenant = lock_tenant(partition.tenant_id)
        ensure_capacity(tenant)
        partition.full_clean()
        _save_unique(partition)
        audit.log_addition(actor, partition)
    return partition


def update_client_partition(
    partition: ClientPartition, *, actor, changed: list[str]
) -> ClientPartition:
    """Save a partition's new name, description or enabled state, and audit it.

    `changed` names the fields changed, for the audit entry.
    """
    with transaction.atomic():
        # The save bumps the tenant's partitions_version: lock the tenant first.
        lock_tenant(partition.tenant_id)
        partition.full_clean()
        _save_unique(partition)
        audit.log_change(actor, [partition], _verbose_names(changed))
    return partition


def set_client_partitions_enabled(
    partitions: QuerySet[ClientPartition], *, enabled: bool, actor
) -> list[ClientPartition]:
    """Enable or disable the given partitions; return those whose state changed.

    Disabled clients leave the agents' drop-downs and stop receiving interactions.
    """
    with transaction.atomic():
        # Tenant rows first, then partition rows (ccadmin/locks.py): routing locks in
        # that order, and the version bump below writes the tenant row; taking them
        # the other way round deadlocked under load (tests/test_soak.py).
        for tenant_id in sorted(set(partitions.values_list("tenant_id", flat=True))):
            lock_tenant(tenant_id)
        changing = list(
            partitions.select_for_update().filter(enabled=not enabled).order_by("pk")
        )
        ClientPartition.objects.filter(pk__in=[p.pk for p in changing]).update(
            enabled=enabled
        )
        for partition in changing:
            partition.enabled = enabled
        # update() sends no signal: say it here (see partitions/signals.py).
        partitions_changed({p.tenant_id for p in changing})
        audit.log_change(actor, changing, _verbose_names(["enabled"]))
    return changing


def deletion_summary(partition: ClientPartition) -> DeletionSummary:
    """Count what deleting the partition would remove: COUNT queries, never a walk
    over the rows, so the work is bounded whatever the client's size."""
    return DeletionSummary(
        partition_id=partition.pk,
        name=partition.name,
        contacts=Contact.objects.filter(partition=partition).count(),
        companies=Company.objects.filter(partition=partition).count(),
        emails=Email.objects.filter(partition=partition).count(),
        activities=Activity.objects.filter(partition=partition).count(),
        services=list(Service.objects.filter(client_partition=partition)),
    )


def delete_client_partition(partition: ClientPartition, *, actor) -> DeletionSummary:
    """Delete a BPO client with all its contacts, companies, emails and activity
    history, unassigning its services, in one transaction; audit it with the counts.

    Raises ClientPartitionAlreadyDeleted if it is already gone.
    """
    with transaction.atomic():
        # Tenant, then partition (ccadmin/locks.py): the delete bumps the tenant's
        # partitions_version, and routing holds the tenant while it locks a client.
        lock_tenant(partition.tenant_id)
        locked = ClientPartition.objects.select_for_update().filter(pk=partition.pk)
        current = locked.first()
        if current is None:
            raise ClientPartitionAlreadyDeleted(
                _('The client partition "%(name)s" has already been deleted.')
                % {"name": partition.name}
            )
        summary = deletion_summary(current)
        audit.log_deletion(actor, current, _("Deleted %s") % summary.describe())
        # The database deletes the children (DB_CASCADE) and unassigns the services
        # (DB_SET_NULL): nothing is loaded into Python, whatever the size.
        locked.delete()
    return summary


def _save_unique(partition: ClientPartition) -> None:
    """Save, turning a lost race on the unique name into the form's own error."""
    try:
        with transaction.atomic():
            partition.save()
    except IntegrityError as exc:
        if partition.name_already_used():
            raise ValidationError(
                {
                    "name": _('A client partition named "%(name)s" already exists.')
                    % {"name": partition.name}
                }
            ) from exc
        raise


def _verbose_names(fields: list[str]) -> list[str]:
    return [
        str(ClientPartition._meta.get_field(name).verbose_name).capitalize()
        for name in fields
    ]
