"""Read-only questions about client partitions that several screens ask."""

from ccadmin.models import Tenant
from partitions.models import ClientPartition


def enabled_client_partitions(tenant: Tenant) -> list[ClientPartition]:
    """The BPO clients an agent of `tenant` may pick: its enabled partitions, sorted
    by name (case-insensitively, the same on SQLite and PostgreSQL).

    The one source of the agent desktop's drop-downs and of
    `/agent/client-partitions.json`: one query, whatever the number of clients.
    Returns an evaluated list (only id, name and description are loaded), so a cache
    can later be put in here without changing any caller.
    """
    partitions = list(
        ClientPartition.objects.filter(tenant=tenant, enabled=True).only(
            "id", "tenant_id", "name", "name_key", "description"
        )
    )
    # Sorted here, not by the database: PostgreSQL's collation and SQLite's byte
    # order disagree on mixed case and Japanese names.
    partitions.sort(key=lambda p: (p.name_key, p.pk))
    return partitions
