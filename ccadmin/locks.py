"""Named locks, taken in one place so every caller locks the same way.

Every lock of the project, what it guards, and the order they are taken in when one
transaction needs several (a path may skip any of them, never reorder them):

1. **tenant row, FOR NO KEY UPDATE** (`lock_tenant`, here). Taken by the operations that
   must see a stable count of a tenant's client partitions: adding one (the partition
   limit), changing, enabling, disabling and deleting them (which bump
   `Tenant.partitions_version`), and changing a person's role or deactivating people
   (ccadmin.actions: the tenant's last administrator stays one). NO KEY UPDATE, not
   UPDATE: it must not conflict with the FOR KEY SHARE lock PostgreSQL's foreign-key
   checks take (at commit: Django's foreign keys are DEFERRABLE INITIALLY DEFERRED), so
   every insert of a row that references the tenant (a contact, an email, an activity
   entry) commits while an administrator adds a client. **Routing never takes it**: a
   tenant's interactions proceed in parallel.
2. **client partition rows, FOR UPDATE** (`partitions.locks.lock_client_partition`).
   Taken by enabling, disabling, changing and deleting a client, after the tenant;
   also by offboarding (held while the client's export is written, so routing waits
   and then finds it disabled), cancelling an offboarding and each purge
   (partitions.offboarding: each client re-read under it, so a purge racing a
   cancel or another purge finds it as the other left it). No new lock.
   Several partitions: in primary key order.
3. **client partition rows, FOR SHARE** (`partitions.locks.share_client_partitions`).
   Taken by whatever assigns data to a client (routing, an agent adding a contact)
   while it assigns; several in primary key order. Shares do not block each other,
   so every interaction of a client proceeds at once; they block (and are blocked by)
   the FOR UPDATE of 2., so a client disabled or deleted meanwhile receives nothing
   more, and nothing assigned to it before is lost. Never taken together with 2.
   Also taken by each batch of retention (contacts.actions.delete_expired_history),
   which reads the client's legal hold under it: a hold an administrator places (a
   change, 2.) waits for the batch under way, and no batch deletes after it.
4. **one sender, transaction-level advisory lock** (`lock_senders`, here). Taken by
   routing, only for senders it found no contact for, before looking again and
   creating the contact: two deliveries from one new sender make one contact.
   Several senders: in the order of their lock keys (sorted integers).
5. **an email's Message-ID**: no explicit lock. The unique constraint
   `contacts_email_unique_tenant_message_id` makes a second insert of the same
   Message-ID wait for the first and then fail; routing answers it as a duplicate.

Row locks of lower rank are never held while waiting for one of higher rank, so no
two paths can wait for each other. SQLite has no row or advisory locks: every
transaction is IMMEDIATE (the database's write lock is taken at BEGIN, settings.py),
which serialises writers and makes each of these a no-op there (`lock_tenant` only
reads the row). Callers must already be inside a transaction.
"""

import hashlib
from collections.abc import Iterable

from django.db import connection, transaction

from ccadmin.models import Tenant


def _require_transaction(name: str) -> None:
    if not transaction.get_connection().in_atomic_block:
        raise RuntimeError(f"{name}() must be called inside transaction.atomic().")


def lock_tenant(tenant_id: int) -> Tenant:
    """Lock a tenant's row until the surrounding transaction ends and return it.

    Serialises the operations that must see a stable count of a tenant's client
    partitions (the partition limit). On PostgreSQL this is SELECT ... FOR NO KEY
    UPDATE, which leaves foreign-key checks (FOR KEY SHARE) of rows referencing the
    tenant free to go on; on SQLite the IMMEDIATE transaction already holds the
    database's write lock.
    """
    _require_transaction("lock_tenant")
    return Tenant.objects.select_for_update(no_key=True).get(pk=tenant_id)


def sender_lock_key(*parts: object) -> int:
    """The advisory lock key of one sender: a signed 64-bit hash of its parts
    (tenant, client partition, address or phone). Two senders sharing a key only
    wait for each other, which is harmless."""
    digest = hashlib.blake2b(
        "\x1f".join(str(part) for part in parts).encode(), digest_size=8
    ).digest()
    return int.from_bytes(digest, "big", signed=True)


def lock_senders(keys: Iterable[int]) -> None:
    """Take the transaction-level advisory lock of each sender key, in sorted order
    (so two transactions locking overlapping senders cannot deadlock), in one query.

    PostgreSQL only; on SQLite the IMMEDIATE transaction already serialises writers.
    """
    _require_transaction("lock_senders")
    ordered = sorted(set(keys))
    if not ordered or connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        # unnest() yields the array in order and each row is locked as it is
        # produced: the locks are taken in the sorted order.
        cursor.execute(
            "SELECT pg_advisory_xact_lock(k) FROM unnest(%s::bigint[]) AS k",
            [ordered],
        )
