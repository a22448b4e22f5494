"""Read-only views of client partitions shared by the admin list and the commands."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from partitions import registry
from partitions.models import ClientPartition


def _count_of(content: registry.PartitionContent):
    """A correlated COUNT per partition, as a subquery: one query for the whole page,
    with no join multiplying rows."""
    fk = content.partition_field
    counted = (
        content.model._default_manager.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_counts(queryset: QuerySet[ClientPartition]) -> QuerySet[ClientPartition]:
    """Annotate each client partition with `<key>_count` for each kind of record its
    apps list (registry.list_columns: `services_count` for the services assigned,
    `contacts_count` for its contacts), in the same single query."""
    return queryset.annotate(
        **{f"{c.key}_count": _count_of(c) for c in registry.list_columns()}
    )
