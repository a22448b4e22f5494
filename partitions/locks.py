"""Row locks on client partitions, taken after the tenant lock (ccadmin.locks).

The lock order for every caller is written once, in ccadmin/locks.py: tenant, then
client partition. Callers must already be inside a transaction.
"""

from django.db import transaction

from partitions.models import ClientPartition


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
