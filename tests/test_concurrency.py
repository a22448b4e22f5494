"""The partition limit holds when administrators add at the same moment."""

import pytest

from partitions import actions
from partitions.limit import ClientPartitionLimitReached
from partitions.models import ClientPartition
from tests import factories
from tests.live import race


def add_concurrently(tenant, actor, names: list[str]) -> list[object]:
    """Add one partition per name, all at the same moment; return each outcome."""
    return race(
        [
            lambda name=name: actions.create_client_partition(
                ClientPartition(tenant=tenant, name=name), actor=actor
            )
            for name in names
        ]
    )


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_concurrent_adds_at_limit_minus_one_let_exactly_one_through(settings):
    settings.CLIENT_PARTITION_LIMIT = 3
    tenant = factories.TenantFactory()
    actor = factories.administrator(tenant)
    factories.ClientPartitionFactory.create_batch(2, tenant=tenant)

    outcomes = add_concurrently(tenant, actor, [f"Racer {i}" for i in range(8)])

    created = [o for o in outcomes if isinstance(o, ClientPartition)]
    refused = [o for o in outcomes if isinstance(o, ClientPartitionLimitReached)]
    assert len(created) == 1, outcomes
    assert len(refused) == 7, outcomes
    assert all("3 of 3 client partitions used" in str(r) for r in refused)
    assert ClientPartition.objects.filter(tenant=tenant).count() == 3
