"""Services & Campaigns, and the contacts screens."""

import pytest
from django.urls import reverse

from contacts.models import Contact
from services.models import Service
from tests import factories


def test_service_properties_carry_client_partition_and_show_in_associations(
    admin_client, tenant
):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    page = admin_client.get(reverse("admin:services_service_add"))
    fieldsets = [fs.name for fs in page.context["adminform"]]
    assert fieldsets == [None, "Properties"]
    assert "Client partition" in page.text

    response = admin_client.post(
        reverse("admin:services_service_add"),
        {"name": "Acme Email", "type": "email", "client_partition": acme.pk},
    )
    assert response.status_code == 302
    service = Service.objects.get(name="Acme Email")
    assert (service.tenant, service.client_partition) == (tenant, acme)

    associations = admin_client.get(
        reverse("admin:partitions_clientpartition_change", args=[acme.pk])
    )
    assert list(associations.context["associated_services"]) == [service]


def test_service_list_shows_name_type_partition(admin_client, tenant):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    factories.ServiceFactory(
        tenant=tenant, name="Acme Chat", type="chat", client_partition=acme
    )
    body = admin_client.get(reverse("admin:services_service_changelist")).text
    assert "Acme Chat" in body
    assert "Chat" in body
    assert "Acme" in body


def test_duplicate_service_name_in_tenant_refused(admin_client, tenant):
    factories.ServiceFactory(tenant=tenant, name="Main Line")
    response = admin_client.post(
        reverse("admin:services_service_add"),
        {"name": "Main Line", "type": "inbound_voice"},
    )
    assert response.status_code == 200
    assert "already exists" in str(response.context["adminform"].form.errors)
    assert Service.objects.filter(name="Main Line").count() == 1


def test_contact_created_without_partition(admin_client, tenant):
    response = admin_client.post(
        reverse("admin:contacts_contact_add"),
        {"first_name": "Aiko", "last_name": "Tanaka", "email": "aiko@example.com"},
    )
    assert response.status_code == 302
    contact = Contact.objects.get(email="aiko@example.com")
    assert (contact.tenant, contact.partition) == (tenant, None)


def test_contact_company_must_be_in_same_partition(admin_client, tenant):
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    firm = factories.CompanyFactory(tenant=tenant, partition=None)
    response = admin_client.post(
        reverse("admin:contacts_contact_add"),
        {"first_name": "Ben", "partition": acme.pk, "company": firm.pk},
    )
    assert response.status_code == 200
    assert "company" in response.context["adminform"].form.errors
    assert not Contact.objects.exists()


@pytest.mark.parametrize("model", ["contact", "company", "email", "activity"])
def test_lists_filter_by_partition_and_by_none(admin_client, tenant, model):
    acme = factories.client_with_data(tenant, "Acme", contacts=2)
    globex = factories.client_with_data(tenant, "Globex", contacts=1)
    loose = factories.client_with_data(tenant, "Loose", contacts=1)
    model_class = {
        "contact": Contact,
        "company": factories.CompanyFactory._meta.model,
        "email": factories.EmailFactory._meta.model,
        "activity": factories.ActivityFactory._meta.model,
    }[model]
    # Rows of "Loose" become rows with no partition.
    model_class.objects.filter(partition=loose).update(partition=None)
    url = reverse(f"admin:contacts_{model}_changelist")

    by_acme = admin_client.get(url, {"partition__id__exact": acme.pk})
    assert {o.partition_id for o in by_acme.context["cl"].queryset} == {acme.pk}
    by_none = admin_client.get(url, {"partition__isnull": "True"})
    rows = list(by_none.context["cl"].queryset)
    assert rows and {o.partition_id for o in rows} == {None}
    everything = admin_client.get(url).context["cl"].queryset
    assert {o.partition_id for o in everything} == {acme.pk, globex.pk, None}


def test_contact_search_by_name_email_phone(admin_client, tenant):
    factories.ContactFactory(
        tenant=tenant, first_name="Hana", email="hana@example.jp", phone="+81312345678"
    )
    factories.ContactFactory(tenant=tenant, first_name="Ivan")
    url = reverse("admin:contacts_contact_changelist")
    for term in ["Hana", "hana@example.jp", "+81312345678"]:
        found = admin_client.get(url, {"q": term}).context["cl"].queryset
        assert [c.first_name for c in found] == ["Hana"], term


@pytest.mark.parametrize(
    ("url_name", "make"),
    [
        ("admin:contacts_contact_changelist", "contacts"),
        ("admin:contacts_activity_changelist", "activities"),
    ],
)
def test_big_lists_keep_a_committed_query_budget(
    admin_client, tenant, django_assert_max_num_queries, url_name, make
):
    """The query count of the largest lists does not grow with their rows (the time
    at a million rows is in bench/RESULTS.md)."""
    url = reverse(url_name)
    factories.client_with_data(tenant, "Small", contacts=2)
    admin_client.get(url)  # reads the permissions, then cached
    with django_assert_max_num_queries(10) as small:
        admin_client.get(url)
    factories.client_with_data(tenant, "Large", contacts=40)
    with django_assert_max_num_queries(10) as large:
        response = admin_client.get(url)
    assert response.status_code == 200
    assert len(large.captured_queries) == len(small.captured_queries)


def test_huge_lists_are_counted_only_up_to_the_cap(admin_client, tenant, monkeypatch):
    from ccadmin import paginators

    monkeypatch.setattr(paginators, "COUNT_CAP", 3)
    factories.ContactFactory.create_batch(5, tenant=tenant)
    response = admin_client.get(reverse("admin:contacts_contact_changelist"))
    assert response.context["cl"].paginator.count == 4  # stopped one past the cap
    assert "More than 3 contacts" in response.text


def test_lists_under_the_cap_show_the_exact_count(admin_client, tenant):
    factories.ContactFactory.create_batch(3, tenant=tenant)
    response = admin_client.get(reverse("admin:contacts_contact_changelist"))
    assert not response.context["cl"].paginator.capped
    assert "3 contacts" in response.text


@pytest.mark.parametrize(
    "model, field, make",
    [
        ("services_service", "client_partition", factories.ServiceFactory),
        ("contacts_contact", "partition", factories.ContactFactory),
        ("contacts_company", "partition", factories.CompanyFactory),
    ],
)
def test_client_partition_select_has_no_add_change_or_delete_link(
    admin_client, tenant, model, field, make
):
    # The stock "x" beside the select opened the deletion of the whole client.
    acme = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    obj = make(tenant=tenant, **{field: acme})
    body = admin_client.get(reverse(f"admin:{model}_change", args=[obj.pk])).text
    assert "Acme" in body  # the select is there
    # The page's menu links to "Add client partition"; the select's own links
    # carry the popup's parameters and the widget's ids.
    assert "clientpartition/__fk__/" not in body
    assert "clientpartition/add/?_to_field" not in body
    for link in ("add", "change", "delete", "view"):
        assert f'id="{link}_id_{field}"' not in body
