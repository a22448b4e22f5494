"""The service provider lowers a tenant's limit below what it already has: the
Tenants screen and the tenant's own list say "17 of 10 used" and what it means."""

import io

from django.contrib.messages import get_messages
from django.core.management import call_command
from django.urls import reverse

from partitions.models import ClientPartition
from tests import factories

MEANING = "Nothing is deleted, but no new client partition can be added"


def over_limit_tenant(tenant, used: int = 3, limit: int = 2):
    for i in range(used):
        factories.ClientPartitionFactory(tenant=tenant, name=f"Client {i}")
    tenant.client_partition_limit = limit
    tenant.save()
    return tenant


def test_tenant_list_warns_of_a_limit_below_usage(
    provider_client, tenant, other_tenant
):
    over_limit_tenant(tenant)
    factories.ClientPartitionFactory(tenant=other_tenant)
    body = provider_client.get(reverse("admin:ccadmin_tenant_changelist")).text
    assert "3 of 2 client partitions used" in body
    assert MEANING in body
    assert body.count(MEANING) == 1  # Northwind is within its limit
    assert "1 of 20 client partitions used" in body


def test_tenant_list_counts_usage_once_for_the_page(
    provider_client, django_assert_max_num_queries, db
):
    for _ in range(5):
        over_limit_tenant(factories.TenantFactory())
    provider_client.get(reverse("admin:ccadmin_tenant_changelist"))  # warm caches
    with django_assert_max_num_queries(8):
        provider_client.get(reverse("admin:ccadmin_tenant_changelist"))


def test_tenant_page_and_saving_warn_of_a_limit_below_usage(provider_client, tenant):
    for i in range(3):
        factories.ClientPartitionFactory(tenant=tenant, name=f"Client {i}")
    url = reverse("admin:ccadmin_tenant_change", args=[tenant.pk])
    page = provider_client.get(url)
    assert MEANING not in page.text
    form = page.context["adminform"].form
    data = {
        name: value
        for name, value in form.initial.items()
        if name in form.fields and value is not None
    }
    data.update(
        {
            "client_partition_limit": "2",
            "memberships-TOTAL_FORMS": "0",
            "memberships-INITIAL_FORMS": "0",
        }
    )
    response = provider_client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    [warning] = [
        str(m) for m in get_messages(response.wsgi_request) if m.level_tag == "warning"
    ]
    assert warning.startswith("3 of 2 client partitions used")
    assert MEANING in warning
    assert ClientPartition.objects.filter(tenant=tenant).count() == 3  # none deleted
    assert MEANING in provider_client.get(url).text


def test_tenants_own_list_says_what_the_lowered_limit_means(admin_client, tenant):
    over_limit_tenant(tenant)
    body = admin_client.get(reverse("admin:partitions_clientpartition_changelist")).text
    assert "3 of 2 client partitions used" in body
    assert MEANING in body


def test_partitions_list_says_what_the_lowered_limit_means(tenant):
    over_limit_tenant(tenant)
    out = io.StringIO()
    call_command("partitions", "list", stdout=out)
    assert "3 of 2 client partitions used: the limit is below" in out.getvalue()
    assert MEANING in out.getvalue()
