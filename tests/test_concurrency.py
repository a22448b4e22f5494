"""The partition limit holds when administrators add at the same moment."""

import threading

import pytest
from django.db import close_old_connections, connection

from partitions import actions
from partitions.limit import ClientPartitionLimitReached
from partitions.models import ClientPartition
from tests import factories


def add_concurrently(tenant, actor, names: list[str]) -> list[object]:
    """Start one thread per name, release them together, return each outcome."""
    barrier = threading.Barrier(len(names))
    outcomes: list[object] = [None] * len(names)

    def add(i: int) -> None:
        try:
            barrier.wait()
            outcomes[i] = actions.create_client_partition(
                ClientPartition(tenant=tenant, name=names[i]), actor=actor
            )
        except Exception as exc:  # recorded and asserted on by the caller
            outcomes[i] = exc
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=add, args=(i,)) for i in range(len(names))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return outcomes


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
