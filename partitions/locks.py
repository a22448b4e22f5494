"""Row locks on client partitions. Every lock and the order they are taken in are
written once, in ccadmin/locks.py. Callers must already be inside a transaction.
"""

from collections.abc import Iterable

from django.db import connection, transaction

from partitions.models import ClientPartition


def lock_client_partition(partition_id: int) -> ClientPartition | None:
    """Lock a client partition's row (FOR UPDATE) until the transaction ends; return
    it, or None if it has been deleted.

    Taken by enabling, disabling, changing and deleting a client, after the tenant
    lock, never before it. It waits for the assignments under way
    (share_client_partitions) and makes new ones wait, so an interaction or a contact
    is never put into a client that was just disabled or deleted.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "lock_client_partition() must be called inside transaction.atomic()."
        )
    return ClientPartition.objects.select_for_update().filter(pk=partition_id).first()


def share_client_partitions(partition_ids: Iterable[int]) -> dict[int, ClientPartition]:
    """Lock client partitions' rows in share mode (FOR SHARE) until the transaction
    ends, in primary key order; return them by id (deleted ones are missing).

    Taken while assigning data to clients (routing, an agent's new contact): any
    number of assignments share a client at once, while enabling, disabling or
    deleting it (lock_client_partition, FOR UPDATE) waits for them and they for it.
    The caller reads `enabled` from the rows returned: under the lock it holds until
    the transaction ends.
    """
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(
            "share_client_partitions() must be called inside transaction.atomic()."
        )
    ids = sorted(set(partition_ids))
    if not ids:
        return {}
    rows = ClientPartition.objects.filter(pk__in=ids).order_by("pk")
    if connection.vendor == "postgresql":
        # Django's select_for_update has no share mode; the rest of the query is
        # Django's own SQL.
        sql, params = rows.query.sql_with_params()
        rows = ClientPartition.objects.raw(f"{sql} FOR SHARE", params)
    return {partition.pk: partition for partition in rows}
