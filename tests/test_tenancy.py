"""Tenancy in the admin: what the isolation matrix (tests/test_isolation_matrix.py)
and the admin cases (tests/admin_cases.py) do not already probe: how choices and
filters read, a forged tenant field, the service provider's tenant column, and staff
with no tenant."""

import pytest
from django.test import Client
from django.urls import reverse

from partitions.models import ClientPartition
from tests import factories


@pytest.fixture
def foreign(other_tenant):
    """Another tenant's partition, service, contact, company, email and activity."""
    partition = factories.client_with_data(other_tenant, "Secret Client", contacts=1)
    return {
        "clientpartition": partition,
        "service": factories.ServiceFactory(
            tenant=other_tenant, name="Secret Line", client_partition=partition
        ),
        "contact": partition.contacts.get(),
        "company": partition.companies.first(),
        "email": partition.emails.get(),
        "activity": partition.activities.first(),
    }


def test_service_partition_choices_only_own_tenant_with_disabled_marked(
    admin_client, tenant, foreign
):
    factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    factories.ClientPartitionFactory(tenant=tenant, name="Initech", enabled=False)
    form = (
        admin_client.get(reverse("admin:services_service_add"))
        .context["adminform"]
        .form
    )
    labels = [label for _value, label in form.fields["client_partition"].choices]
    assert labels[1:] == ["Acme", "Initech (disabled)"]


def test_forged_tenant_field_in_add_post_is_ignored(admin_client, tenant, other_tenant):
    admin_client.post(
        reverse("admin:partitions_clientpartition_add"),
        {"name": "Sneaky", "tenant": other_tenant.pk, "enabled": "on"},
    )
    assert ClientPartition.objects.get(name="Sneaky").tenant == tenant


def test_partition_filter_offers_only_own_partitions_and_none(
    admin_client, tenant, foreign
):
    own = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    response = admin_client.get(reverse("admin:contacts_contact_changelist"))
    spec = next(
        f for f in response.context["cl"].filter_specs if f.title == "client partition"
    )
    assert spec.lookup_choices == [(own.pk, "Acme")]
    displays = [choice["display"] for choice in spec.choices(response.context["cl"])]
    assert "No client" in displays
    assert "Secret Client" not in displays


def test_superuser_sees_every_tenant_with_tenant_column_and_filter(
    provider_client, tenant, foreign
):
    own = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    response = provider_client.get(
        reverse("admin:partitions_clientpartition_changelist")
    )
    cl = response.context["cl"]
    assert {own, foreign["clientpartition"]} <= set(cl.result_list)
    assert "tenant" in cl.list_display
    assert any(f.title == "tenant" for f in cl.filter_specs)


# The admin lists of a tenant's data, by URL name prefix.
SCOPED_LISTS = (
    "partitions_clientpartition services_service services_gatewaytoken "
    "contacts_contact contacts_company contacts_email contacts_activity "
    "ccadmin_auditentry"
).split()


@pytest.mark.parametrize("screen", SCOPED_LISTS)
def test_staff_without_membership_sees_nothing(tenant, foreign, screen):
    """A staff account the service provider has not yet put in a tenant, even one
    already in the administrators' role: data exists in two tenants, and it sees none
    of it."""
    factories.client_with_data(tenant, "Own Client", contacts=1)
    assert ClientPartition.objects.count() == 2  # given: data in both tenants
    client = Client()
    client.force_login(factories.unplaced_administrator())
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert index.context["app_list"] == []
    listing = client.get(reverse(f"admin:{screen}_changelist"))
    assert listing.status_code == 403


def test_roles_count_only_inside_a_tenant(tenant):
    # given: an administrator, and the same role held by a staff account of no tenant
    member = factories.administrator(tenant)
    outsider = factories.unplaced_administrator()
    # then: only the member holds the role's permissions
    assert member.has_perm("partitions.delete_clientpartition")
    assert not outsider.has_perm("partitions.delete_clientpartition")
    assert not outsider.has_module_perms("partitions")
    assert outsider.get_all_permissions() == set()
    # and the service provider's superusers, who work for no tenant, keep them all
    provider = factories.superuser()
    assert "partitions.delete_clientpartition" in provider.get_all_permissions()
