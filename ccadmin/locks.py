"""Named row locks, taken in one place so every caller locks the same way.

Locks are always taken in this order when several are needed:

1. tenant (`lock_tenant`, here);
2. client partition (`partitions.locks.lock_client_partition`).

The partition lock lives in the partitions app because ccadmin knows no feature app;
the order is written here, once, for all of them. Callers must already be inside a
transaction.
"""

from django.db import transaction

from ccadmin.models import Tenant


def lock_tenant(tenant_id: int) -> Tenant:
    """Lock a tenant's row until the surrounding transaction ends and return it.

    Serialises the operations that must see a stable count of a tenant's client
    partitions (the partition limit). On PostgreSQL this is SELECT ... FOR UPDATE; on
    SQLite the IMMEDIATE transaction already holds the database's write lock.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError("lock_tenant() must be called inside transaction.atomic().")
    return Tenant.objects.select_for_update().get(pk=tenant_id)
