"""Read-only questions about client partitions that several screens ask."""

from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.tasks import TaskResultStatus, default_task_backend
from django.tasks.exceptions import TaskResultDoesNotExist
from django.utils import timezone

from ccadmin.models import Tenant
from ccadmin.tenancy import client_scope, tenant_of
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


def client_partitions_offered_to(user) -> list[ClientPartition]:
    """The BPO clients `user` may pick in the agent desktop's drop-downs and its
    JSON: their tenant's enabled clients (enabled_client_partitions, in its order),
    less those they do not work for (ccadmin.tenancy.client_scope).

    Narrowed after the cache, so the cache stays one list per tenant whatever the
    people's clients, and a change of someone's clients shows at their next request.
    """
    tenant = tenant_of(user)
    if tenant is None:
        return []
    partitions = enabled_client_partitions(tenant)
    clients = client_scope(user)
    if clients is None:
        return partitions
    return [p for p in partitions if p.pk in clients]


@dataclass(frozen=True)
class DeletionProgress:
    """Where a background deletion of a client stands, for the administrator."""

    status: str  # "queued", "running" or "failed"
    percent: int
    expected_seconds: int


def deletion_progress(partition: ClientPartition) -> DeletionProgress | None:
    """The progress of the partition's background deletion, or None if there is none.

    The delete is one transaction, so its progress is estimated from the time it has
    run against the time expected at the measured speed
    (CLIENT_PARTITION_DELETE_ROWS_PER_SECOND); it shows 99 % at most until done.
    """
    if partition.deletion_requested_at is None:
        return None
    rate = settings.CLIENT_PARTITION_DELETE_ROWS_PER_SECOND
    expected = max(1, round((partition.deletion_rows or 0) / rate))
    try:
        result = default_task_backend.get_result(partition.deletion_task_id)
    except TaskResultDoesNotExist:
        return DeletionProgress("failed", 0, expected)
    if result.status == TaskResultStatus.READY:
        return DeletionProgress("queued", 0, expected)
    if result.status == TaskResultStatus.RUNNING and result.started_at:
        elapsed = (timezone.now() - result.started_at).total_seconds()
        return DeletionProgress(
            "running", min(99, int(100 * elapsed / expected)), expected
        )
    if result.status == TaskResultStatus.SUCCESSFUL:
        # Finished between the page's two queries: gone on the next refresh.
        return DeletionProgress("running", 99, expected)
    return DeletionProgress("failed", 0, expected)


def deletion_under_way(partition: ClientPartition) -> bool:
    """Whether the client's background deletion is queued or running, so a second
    delete (admin, command or API) is answered "already being deleted" instead of
    starting another. A failed one may be started again."""
    if not partition.is_deleting:
        return False
    progress = deletion_progress(partition)
    return progress is not None and progress.status != "failed"
