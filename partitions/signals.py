"""Keeps each tenant's partitions_version current, whatever path changed a partition.

Cached partition lists are keyed by the version (partitions/selectors.py), so bumping
it in the same transaction as the change is the whole of the cache invalidation.
"""

from collections.abc import Iterable

from django.db.models import F
from django.db.models.signals import post_delete, post_save
from django.dispatch import receiver

from ccadmin.models import Tenant
from partitions.models import ClientPartition


def partitions_changed(tenant_ids: Iterable[int]) -> None:
    """Bump the tenants' partitions_version after a change to their partitions that
    sent no signal (QuerySet.update)."""
    ids = list(tenant_ids)
    if ids:
        Tenant.objects.filter(pk__in=ids).update(
            partitions_version=F("partitions_version") + 1
        )


@receiver(post_save, sender=ClientPartition, dispatch_uid="partition-saved")
@receiver(post_delete, sender=ClientPartition, dispatch_uid="partition-deleted")
def _partition_saved_or_deleted(sender, instance: ClientPartition, **kwargs) -> None:
    partitions_changed([instance.tenant_id])
