"""Named row locks, taken in one place so every caller locks the same way.

Locks are always taken in this order when several are needed: tenant, then client
partition. Callers must already be inside a transaction.
"""

from django.db import transaction

from ccadmin.models import Tenant
from partitions.models import ClientPartition


def lock_tenant(tenant_id: int) -> Tenant:
    """Lock a tenant's row until the surrounding transaction ends and return it.

    Serialises the operations that must see a stable count of a tenant's client
    partitions (the partition limit). On PostgreSQL this is SELECT ... FOR UPDATE; on
    SQLite the IMMEDIATE transaction already holds the database's write lock.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_tenant() must be called inside transaction.atomic().")
    return Tenant.objects.select_for_update().get(pk=tenant_id)


def lock_client_partition(partition_id: int) -> ClientPartition | None:
    """Lock a client partition's row until the transaction ends; return it, or None
    if it has been deleted.

    Taken after the tenant lock, never before it. Serialises assignments to a client
    with its enabling, disabling and deletion, so an interaction or a contact is never
    put into a client that was just disabled or deleted.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "lock_client_partition() must be called inside transaction.atomic()."
        )
    return ClientPartition.objects.select_for_update().filter(pk=partition_id).first()
