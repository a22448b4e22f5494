"""partitions.limit.partition_usages: every tenant's "N of M used" in one query."""

from partitions.limit import partition_usage, partition_usages
from tests import factories


def test_every_tenants_usage_in_one_query_as_partition_usage_counts_it(
    tenant, other_tenant, settings, django_assert_num_queries
):
    settings.CLIENT_PARTITION_LIMIT = 5
    other_tenant.client_partition_limit = 2
    other_tenant.save()
    factories.ClientPartitionFactory.create_batch(3, tenant=tenant)
    factories.ClientPartitionFactory(tenant=other_tenant)
    empty = factories.TenantFactory(name="Empty")

    with django_assert_num_queries(1):
        usages = {u.tenant.pk: u for u in partition_usages()}

    for each in (tenant, other_tenant, empty):
        one = partition_usage(each)
        assert (usages[each.pk].used, usages[each.pk].limit) == (one.used, one.limit)
    assert str(usages[tenant.pk]) == "3 of 5 client partitions used"
    assert str(usages[other_tenant.pk]) == "1 of 2 client partitions used"
    assert usages[empty.pk].used == 0
