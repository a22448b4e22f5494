"""Read-only views of client partitions shared by the admin list and the commands."""

from django.db.models import Count, IntegerField, OuterRef, QuerySet, Subquery, Value
from django.db.models.functions import Coalesce

from contacts.models import Contact
from partitions.models import ClientPartition
from services.models import Service


def _count_of(model, fk: str):
    """A correlated COUNT per partition, as a subquery: one query for the whole page,
    with no join multiplying rows."""
    counted = (
        model.objects.filter(**{fk: OuterRef("pk")})
        .order_by()
        .values(fk)
        .annotate(n=Count("pk"))
        .values("n")
    )
    return Coalesce(Subquery(counted, output_field=IntegerField()), Value(0))


def with_counts(queryset: QuerySet[ClientPartition]) -> QuerySet[ClientPartition]:
    """Annotate each client partition with `services_count` (services assigned) and
    `contacts_count` (its contacts), in the same single query."""
    return queryset.annotate(
        services_count=_count_of(Service, "client_partition"),
        contacts_count=_count_of(Contact, "partition"),
    )
