"""The service provider's token through the API (issue 15): a superuser belongs to no
contact center, so a create names the tenant (`tenant`, its id, as `usage/?tenant=`
and every row's `tenant`); a member may leave it out or name their own, and naming
another tenant is refused exactly as an id that does not exist."""

import json

import pytest

from contacts.models import Contact
from partitions.models import ClientPartition
from tests import factories
from tests.api_helpers import API, api_client, problem

PARTITIONS = f"{API}/client-partitions/"
CONTACTS = f"{API}/contacts/"
NO_SUCH_TENANT = ["There is no such tenant."]


def post(client, url, data, **kwargs):
    return client.post(url, json.dumps(data), content_type="application/json", **kwargs)


def test_provider_adds_clients_to_the_tenant_it_names_within_its_limit(
    tenant, other_tenant, provider
):
    tenant.client_partition_limit = 2
    tenant.save()
    script = api_client(provider)

    for name in ("Acme", "Globex"):
        added = post(script, PARTITIONS, {"tenant": tenant.pk, "name": name})
        assert added.status_code == 201, added.content
        assert added.json()["tenant"] == tenant.pk
    assert set(
        ClientPartition.objects.filter(tenant=tenant).values_list("name", flat=True)
    ) == {"Acme", "Globex"}
    usage = script.get(f"{PARTITIONS}usage/", {"tenant": tenant.pk}).json()
    assert usage == {"used": 2, "limit": 2}

    # At the tenant's limit: the admin's message, nothing added.
    refused = problem(post(script, PARTITIONS, {"tenant": tenant.pk, "name": "X"}), 409)
    assert "2 of 2 client partitions used" in refused["detail"]
    assert (refused["used"], refused["limit"]) == (2, 2)
    assert not ClientPartition.objects.filter(name="X").exists()

    # Another tenant's limit is its own: the same name is free there too.
    added = post(script, PARTITIONS, {"tenant": other_tenant.pk, "name": "Acme"})
    assert added.status_code == 201, added.content
    assert ClientPartition.objects.get(tenant=other_tenant).name == "Acme"


@pytest.mark.parametrize(
    "value, message",
    [
        (None, "This field may not be null."),
        (10**17, NO_SUCH_TENANT[0]),
        (10**30, NO_SUCH_TENANT[0]),
        ("sakura-bpo", None),
        (1.5, None),
        (True, None),
    ],
)
def test_provider_naming_no_or_a_wrong_tenant_gets_a_field_error(
    tenant, provider, value, message
):
    body = problem(
        post(api_client(provider), PARTITIONS, {"tenant": value, "name": "Acme"}), 400
    )
    assert list(body["errors"]) == ["tenant"]
    if message is not None:
        assert body["errors"]["tenant"] == [message]
    assert not ClientPartition.objects.exists()


def test_provider_without_a_tenant_is_told_to_name_it(tenant, provider):
    body = problem(post(api_client(provider), PARTITIONS, {"name": "Acme"}), 400)
    assert body["errors"] == {
        "tenant": ["Give the tenant's id: this account belongs to no contact center."]
    }
    assert not ClientPartition.objects.exists()


def test_provider_is_told_in_japanese(tenant, provider):
    response = post(
        api_client(provider),
        PARTITIONS,
        {"name": "Acme"},
        headers={"Accept-Language": "ja"},
    )
    message = problem(response, 400)["errors"]["tenant"][0]
    assert message.endswith("。")
    assert "tenant" not in message


def test_a_member_naming_another_tenant_is_answered_as_for_no_tenant(
    tenant, other_tenant, admin_user
):
    script = api_client(admin_user)
    other = post(script, PARTITIONS, {"tenant": other_tenant.pk, "name": "Acme"})
    unknown = post(script, PARTITIONS, {"tenant": 10**17, "name": "Acme"})
    other, unknown = problem(other, 400), problem(unknown, 400)
    assert other["errors"] == unknown["errors"] == {"tenant": NO_SUCH_TENANT}
    assert other == unknown
    assert not ClientPartition.objects.exists()

    # Their own tenant, named or not, is theirs.
    named = post(script, PARTITIONS, {"tenant": tenant.pk, "name": "Acme"})
    assert named.status_code == 201, named.content
    assert post(script, PARTITIONS, {"name": "Globex"}).json()["tenant"] == tenant.pk
    assert ClientPartition.objects.filter(tenant=tenant).count() == 2


def test_a_client_never_moves_to_another_tenant(tenant, other_tenant, provider):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    response = api_client(provider).patch(
        f"{PARTITIONS}{acme.pk}/",
        json.dumps({"tenant": other_tenant.pk}),
        content_type="application/json",
    )
    assert response.status_code in (200, 400)
    acme.refresh_from_db()
    assert acme.tenant == tenant


# ----- contacts ---------------------------------------------------------------------


def test_provider_adds_a_contact_to_a_client_or_to_a_tenant(
    tenant, other_tenant, provider
):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    script = api_client(provider)

    # The client says the tenant.
    added = post(script, CONTACTS, {"partition": acme.pk, "first_name": "Yuki"})
    assert added.status_code == 201, added.content
    assert added.json()["tenant"] == tenant.pk

    # A contact of no client: the tenant named.
    added = post(script, CONTACTS, {"tenant": other_tenant.pk, "first_name": "Ken"})
    assert added.status_code == 201, added.content
    ken = Contact.objects.get(first_name="Ken")
    assert (ken.tenant, ken.partition) == (other_tenant, None)


def test_provider_contact_without_a_tenant_or_of_a_client_of_another_is_refused(
    tenant, other_tenant, provider
):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    script = api_client(provider)
    body = problem(post(script, CONTACTS, {"first_name": "Ken"}), 400)
    assert list(body["errors"]) == ["tenant"]
    body = problem(post(script, CONTACTS, {"tenant": 10**17, "first_name": "Ken"}), 400)
    assert body["errors"] == {"tenant": NO_SUCH_TENANT}
    mixed = {"tenant": other_tenant.pk, "partition": acme.pk, "first_name": "Ken"}
    body = problem(post(script, CONTACTS, mixed), 400)
    assert body["errors"] == {
        "partition": ["This client partition is not of that tenant."]
    }
    assert not Contact.objects.exists()


def test_a_member_naming_another_tenant_for_a_contact_is_answered_as_for_none(
    tenant, other_tenant, admin_user
):
    script = api_client(admin_user)
    other = problem(
        post(script, CONTACTS, {"tenant": other_tenant.pk, "first_name": "Ken"}), 400
    )
    unknown = problem(
        post(script, CONTACTS, {"tenant": 10**17, "first_name": "Ken"}), 400
    )
    assert other == unknown
    assert other["errors"] == {"tenant": NO_SUCH_TENANT}
    own = post(script, CONTACTS, {"tenant": tenant.pk, "first_name": "Ken"})
    assert own.status_code == 201, own.content
    assert Contact.objects.get().tenant == tenant
