"""The client partition limit: how many BPO clients one tenant may have.

The one place the rule lives. `CLIENT_PARTITION_LIMIT` sets it for every tenant; a
tenant's own `client_partition_limit` (set by a superuser) overrides it.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db.models import Count
from django.utils.translation import gettext as _

from ccadmin.models import Tenant
from partitions.models import ClientPartition

# The list warns when this many places or fewer are left (or 80 % are used).
NEAR_LIMIT_REMAINING = 2


class ClientPartitionLimitReached(Exception):
    """Adding a client partition would pass the tenant's limit."""

    def __init__(self, usage: "PartitionUsage"):
        self.usage = usage
        super().__init__(
            _(
                "The client partition limit is reached: %(used)s of %(limit)s client "
                "partitions used. Delete a client partition or ask your service "
                "provider to raise the limit."
            )
            % {"used": usage.used, "limit": usage.limit}
        )


@dataclass(frozen=True)
class PartitionUsage:
    """How many of its allowed client partitions a tenant has used."""

    tenant: Tenant
    used: int
    limit: int

    @property
    def remaining(self) -> int:
        """How many more partitions may be added."""
        return max(self.limit - self.used, 0)

    @property
    def at_limit(self) -> bool:
        """Whether no further partition may be added."""
        return self.used >= self.limit

    @property
    def near_limit(self) -> bool:
        """Whether the tenant is close to its limit but not at it: 80 % used, or only
        one or two places left, so administrators are warned before an add fails."""
        if self.at_limit:
            return False
        return self.remaining <= NEAR_LIMIT_REMAINING or self.used * 5 >= self.limit * 4

    @property
    def over_limit(self) -> bool:
        """Whether the tenant has more partitions than its limit: the service
        provider lowered the limit below what the tenant already had."""
        return self.used > self.limit

    @property
    def warning(self) -> str | None:
        """What an over-limit means, for the service provider's and the tenant's
        screens; None when the tenant is within its limit."""
        if not self.over_limit:
            return None
        return _(
            "%(usage)s: the limit is below what this tenant already has. Nothing is "
            "deleted, but no new client partition can be added until fewer than "
            "%(limit)s remain."
        ) % {"usage": self, "limit": self.limit}

    def __str__(self) -> str:
        return _("%(used)s of %(limit)s client partitions used") % {
            "used": self.used,
            "limit": self.limit,
        }


def partition_limit(tenant: Tenant) -> int:
    """The number of client partitions the tenant may have."""
    if tenant.client_partition_limit is not None:
        return tenant.client_partition_limit
    return settings.CLIENT_PARTITION_LIMIT


def partition_usage(tenant: Tenant) -> PartitionUsage:
    """Count the tenant's client partitions against its limit (one COUNT query)."""
    used = ClientPartition.objects.filter(tenant=tenant).count()
    return PartitionUsage(tenant=tenant, used=used, limit=partition_limit(tenant))


def partition_usages() -> list[PartitionUsage]:
    """Every tenant's usage, counted as partition_usage counts it, in one query: the
    service provider's list shows them all at once."""
    counted = Tenant.objects.annotate(used=Count("client_partitions"))
    return [
        PartitionUsage(tenant=tenant, used=tenant.used, limit=partition_limit(tenant))
        for tenant in counted
    ]


def ensure_capacity(tenant: Tenant) -> PartitionUsage:
    """Raise ClientPartitionLimitReached if the tenant cannot add a partition.

    Only authoritative under the tenant lock (partitions.actions takes it); elsewhere it
    is an early, friendly check.
    """
    usage = partition_usage(tenant)
    if usage.at_limit:
        raise ClientPartitionLimitReached(usage)
    return usage
