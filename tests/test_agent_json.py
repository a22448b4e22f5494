"""GET /agent/client-partitions.json: the desktop's "BPO client" list as JSON."""

import pytest

from partitions import actions
from partitions.models import ClientPartition
from tests import factories

URL = "/agent/client-partitions.json"


def test_lists_enabled_clients_of_own_tenant_sorted_by_name(
    agent_client, tenant, other_tenant
):
    make = factories.ClientPartitionFactory
    zeta = make(tenant=tenant, name="Zeta", description="Last")
    alpha = make(tenant=tenant, name="alpha", description="First")
    make(tenant=tenant, name="Beta", enabled=False)
    make(tenant=other_tenant, name="Aardvark Foreign")

    response = agent_client.get(URL)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response.json() == {
        "client_partitions": [
            {"id": alpha.pk, "name": "alpha", "description": "First"},
            {"id": zeta.pk, "name": "Zeta", "description": "Last"},
        ]
    }


def test_follows_disable_and_delete(agent_client, tenant, admin_user):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    globex = factories.ClientPartitionFactory(tenant=tenant, name="Globex")
    actions.set_client_partitions_enabled(
        ClientPartition.objects.filter(pk=acme.pk), enabled=False, actor=admin_user
    )
    names = [p["name"] for p in agent_client.get(URL).json()["client_partitions"]]
    assert names == ["Globex"]
    actions.delete_client_partition(globex, actor=admin_user)
    assert agent_client.get(URL).json() == {"client_partitions": []}


def test_not_signed_in_is_401_json(client, db):
    response = client.get(URL)
    assert response.status_code == 401
    assert "error" in response.json()


def test_user_without_tenant_is_403_json(provider_client):
    response = provider_client.get(URL)
    assert response.status_code == 403
    assert "error" in response.json()


@pytest.mark.parametrize("count", [1, 40])
def test_queries_are_bounded_whatever_the_number_of_clients(
    agent_client, tenant, count, django_assert_max_num_queries
):
    factories.ClientPartitionFactory.create_batch(count, tenant=tenant)
    # 3 = the session, the user with its tenant (ccadmin.auth), and the list on a
    # cold cache.
    with django_assert_max_num_queries(3):
        response = agent_client.get(URL)
    assert len(response.json()["client_partitions"]) == count


def test_list_is_served_from_cache_until_a_partition_changes(
    agent_client, tenant, admin_user, django_assert_num_queries
):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    agent_client.get(URL)  # fills the cache
    # Session and user (with tenant, in one query): the list itself costs nothing.
    with django_assert_num_queries(2):
        cached = agent_client.get(URL)
    assert [c["name"] for c in cached.json()["client_partitions"]] == ["Acme"]

    # Every path that changes a partition moves the tenant's version on, so the
    # next request reads the new list at once.
    factories.ClientPartitionFactory(tenant=tenant, name="Beta")  # plain save()
    assert [c["name"] for c in agent_client.get(URL).json()["client_partitions"]] == [
        "Acme",
        "Beta",
    ]
    actions.set_client_partitions_enabled(
        ClientPartition.objects.filter(pk=acme.pk), enabled=False, actor=admin_user
    )
    assert [c["name"] for c in agent_client.get(URL).json()["client_partitions"]] == [
        "Beta"
    ]
    ClientPartition.objects.get(name="Beta").delete()
    assert agent_client.get(URL).json() == {"client_partitions": []}
