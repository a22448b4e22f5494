"""Tenancy in the admin: a tenant's administrators see only their tenant's objects."""

import pytest
from django.test import Client
from django.urls import reverse

from partitions.models import ClientPartition
from services.models import Service
from tests import factories

NOT_FOUND = "doesn’t exist. Perhaps it was deleted?"


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


APP_OF = {
    "clientpartition": "partitions",
    "service": "services",
    "contact": "contacts",
    "company": "contacts",
    "email": "contacts",
    "activity": "contacts",
}


@pytest.mark.parametrize("model", list(APP_OF))
@pytest.mark.parametrize("view", ["change", "delete", "history"])
def test_other_tenants_object_is_not_found(admin_client, foreign, model, view):
    obj = foreign[model]
    url = reverse(f"admin:{APP_OF[model]}_{model}_{view}", args=[obj.pk])
    response = admin_client.get(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    assert any(NOT_FOUND in str(m) for m in response.context["messages"])
    assert str(obj) not in response.text.replace(NOT_FOUND, "")


@pytest.mark.parametrize("model", list(APP_OF))
def test_lists_show_only_own_tenant(admin_client, tenant, foreign, model):
    factories.client_with_data(tenant, "Own Client", contacts=1)
    response = admin_client.get(reverse(f"admin:{APP_OF[model]}_{model}_changelist"))
    assert response.status_code == 200
    shown = list(response.context["cl"].queryset)
    assert foreign[model] not in shown
    assert all(obj.tenant_id == tenant.pk for obj in shown)
    assert "Secret" not in response.text


def test_forged_delete_post_of_other_tenants_partition_deletes_nothing(
    admin_client, foreign
):
    partition = foreign["clientpartition"]
    url = reverse("admin:partitions_clientpartition_delete", args=[partition.pk])
    admin_client.post(url, {"post": "yes"})
    assert ClientPartition.objects.filter(pk=partition.pk).exists()


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


def test_forged_post_assigning_other_tenants_partition_is_refused(
    admin_client, tenant, foreign
):
    service = factories.ServiceFactory(tenant=tenant, name="Own Line")
    url = reverse("admin:services_service_change", args=[service.pk])
    response = admin_client.post(
        url,
        {
            "name": "Own Line",
            "type": "inbound_voice",
            "client_partition": foreign["clientpartition"].pk,
        },
    )
    assert response.status_code == 200
    assert "client_partition" in response.context["adminform"].form.errors
    service.refresh_from_db()
    assert service.client_partition is None


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


def test_tenant_admin_cannot_reach_tenants_memberships_or_users(admin_client, tenant):
    for name in [
        "ccadmin_tenant_changelist",
        "ccadmin_membership_changelist",
        "auth_user_changelist",
        "auth_group_changelist",
    ]:
        assert admin_client.get(reverse(f"admin:{name}")).status_code == 403
    url = reverse("admin:ccadmin_tenant_change", args=[tenant.pk])
    assert admin_client.post(url, {"client_partition_limit": 99}).status_code == 403
    tenant.refresh_from_db()
    assert tenant.client_partition_limit is None


def test_superuser_sets_a_tenants_limit(provider_client, tenant):
    url = reverse("admin:ccadmin_tenant_change", args=[tenant.pk])
    response = provider_client.post(
        url,
        {
            "name": tenant.name,
            "slug": tenant.slug,
            "client_partition_limit": 3,
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302, response.context["adminform"].form.errors
    tenant.refresh_from_db()
    assert tenant.client_partition_limit == 3


def test_agent_gets_no_admin(tenant):
    client = Client()
    client.force_login(factories.agent(tenant))
    response = client.get(reverse("admin:partitions_clientpartition_changelist"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))


def test_staff_without_membership_sees_nothing(db):
    user = factories.UserFactory(is_staff=True)
    client = Client()
    client.force_login(user)
    index = client.get(reverse("admin:index"))
    assert index.context["app_list"] == []
    listing = client.get(reverse("admin:partitions_clientpartition_changelist"))
    assert listing.status_code == 403
    assert Service.objects.count() == 0
