"""Read-only questions about client partitions that several screens ask."""

from django.core.cache import cache

from ccadmin.models import Tenant
from partitions.models import ClientPartition

# A day: entries never go stale (the key holds the tenant's partitions_version), the
# timeout only lets unused ones go.
CACHE_SECONDS = 86_400


def enabled_client_partitions(tenant: Tenant) -> list[ClientPartition]:
    """The BPO clients an agent of `tenant` may pick: its enabled partitions, sorted
    by name (case-insensitively, the same on SQLite and PostgreSQL).

    The one source of the agent desktop's drop-downs and of
    `/agent/client-partitions.json`. Cached per tenant under the tenant's
    `partitions_version`, which every change of a partition bumps in its own
    transaction (partitions.actions), so a disabled or deleted client leaves the list
    at once: the busiest agent request costs no query for the list (bench/RESULTS.md).
    """
    key = f"enabled-client-partitions:{tenant.pk}:{tenant.partitions_version}"
    partitions = cache.get(key)
    if partitions is None:
        partitions = list(
            ClientPartition.objects.filter(tenant=tenant, enabled=True).only(
                "id", "tenant_id", "name", "name_key", "description"
            )
        )
        # Sorted here, not by the database: PostgreSQL's collation and SQLite's byte
        # order disagree on mixed case and Japanese names.
        partitions.sort(key=lambda p: (p.name_key, p.pk))
        cache.set(key, partitions, CACHE_SECONDS)
    return partitions
