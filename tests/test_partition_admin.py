"""The Client Partitions screens: list, add, change, enable/disable, delete."""

import html

import pytest
from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.urls import reverse

from ccadmin.audit import change_message_fields
from contacts.models import Activity, Company, Contact, Email
from partitions.models import ClientPartition
from services.models import Service
from tests import factories

CHANGELIST = reverse("admin:partitions_clientpartition_changelist")
ADD = reverse("admin:partitions_clientpartition_add")
SENTENCE = (
    "Are you absolutely sure you want to delete {} including all contacts, emails, "
    "activity history belonging to this client?"
)


def change_url(partition) -> str:
    return reverse("admin:partitions_clientpartition_change", args=[partition.pk])


def delete_url(partition) -> str:
    return reverse("admin:partitions_clientpartition_delete", args=[partition.pk])


def messages_of(response) -> list[str]:
    return [str(m) for m in response.context["messages"]]


# ----- list --------------------------------------------------------------------------


def test_list_shows_columns_counts_delete_links_and_usage(
    admin_client, tenant, settings
):
    settings.CLIENT_PARTITION_LIMIT = 5
    acme = factories.client_with_data(tenant, "Acme", contacts=3)
    factories.ServiceFactory.create_batch(2, tenant=tenant, client_partition=acme)
    factories.ClientPartitionFactory(
        tenant=tenant, name="Globex", description="Telecom", enabled=False
    )

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    rows = {obj.name: obj for obj in response.context["cl"].result_list}
    assert (rows["Acme"].services_count, rows["Acme"].contacts_count) == (2, 3)
    assert (rows["Globex"].services_count, rows["Globex"].contacts_count) == (0, 0)
    body = response.text
    assert "Telecom" in body
    assert f'href="{delete_url(acme)}"' in body
    assert f'href="{delete_url(rows["Globex"])}"' in body
    assert f'href="{ADD}"' in body  # the "+" add button
    assert "2 of 5 client partitions used" in body


def test_list_is_under_case_and_contact_management(admin_client):
    response = admin_client.get(reverse("admin:index"))
    groups = {app["name"]: app for app in response.context["app_list"]}
    case = groups["Case & Contact Management"]
    assert [m["object_name"] for m in case["models"]] == [
        "ClientPartition",
        "DeletionCertificate",
        "Activity",
        "Company",
        "Contact",
        "Email",
        "ErasureCertificate",
    ]
    services = groups["Services & Campaigns"]
    assert [m["object_name"] for m in services["models"]] == ["GatewayToken", "Service"]
    assert "Contact Center Administrator" in response.text


def test_list_query_count_does_not_grow_with_partitions(
    admin_client, tenant, django_assert_max_num_queries, settings
):
    settings.CLIENT_PARTITION_LIMIT = 100
    for i in range(3):
        factories.client_with_data(tenant, f"Small {i}", contacts=1)
    admin_client.get(CHANGELIST)  # reads the permissions, then cached
    with django_assert_max_num_queries(12) as small:
        admin_client.get(CHANGELIST)
    for i in range(30):
        factories.client_with_data(tenant, f"More {i}", contacts=2)
    with django_assert_max_num_queries(12) as large:
        response = admin_client.get(CHANGELIST)
    assert len(response.context["cl"].result_list) == 33
    assert len(large.captured_queries) == len(small.captured_queries)


def test_administrator_without_delete_permission_sees_no_x(tenant):
    user = factories.administrator(tenant)
    user.groups.clear()
    user.user_permissions.set(
        Permission.objects.filter(
            codename__in=["view_clientpartition", "change_clientpartition"]
        )
    )
    partition = factories.ClientPartitionFactory(tenant=tenant)
    client = Client()
    client.force_login(user)
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert delete_url(partition) not in response.text
    assert client.get(delete_url(partition)).status_code == 403
    assert client.post(delete_url(partition), {"post": "yes"}).status_code == 403
    assert ClientPartition.objects.filter(pk=partition.pk).exists()


# ----- add ---------------------------------------------------------------------------


def test_add_creates_partition_in_own_tenant_with_audit(
    admin_client, admin_user, tenant
):
    response = admin_client.post(
        ADD, {"name": "Acme", "description": "Claims", "enabled": "on"}
    )
    assert response.status_code == 302
    partition = ClientPartition.objects.get(name="Acme")
    assert (partition.tenant, partition.enabled) == (tenant, True)
    entry = LogEntry.objects.get(object_id=str(partition.pk))
    assert (entry.action_flag, entry.user) == (ADDITION, admin_user)


def test_add_form_has_name_description_enabled(admin_client):
    form = admin_client.get(ADD).context["adminform"].form
    # The spec's three, then retention and legal hold (issue 13, administrators).
    assert list(form.fields) == [
        "name",
        "description",
        "enabled",
        "retention_days",
        "legal_hold",
        "legal_hold_reason",
    ]
    assert form.fields["name"].required


def test_at_limit_plus_is_gone_and_add_refused(admin_client, tenant, settings):
    settings.CLIENT_PARTITION_LIMIT = 2
    factories.ClientPartitionFactory.create_batch(2, tenant=tenant)

    listing = admin_client.get(CHANGELIST)
    assert f'href="{ADD}"' not in listing.text
    assert "2 of 2 client partitions used" in listing.text

    page = admin_client.get(ADD, follow=True)
    assert page.redirect_chain[-1][0] == CHANGELIST
    assert any("2 of 2 client partitions used" in m for m in messages_of(page))

    posted = admin_client.post(ADD, {"name": "Third"}, follow=True)
    assert any("2 of 2 client partitions used" in m for m in messages_of(posted))
    assert ClientPartition.objects.filter(tenant=tenant).count() == 2


def test_limit_from_tenant_override_in_admin(admin_client, tenant, settings):
    settings.CLIENT_PARTITION_LIMIT = 10
    tenant.client_partition_limit = 1
    tenant.save()
    factories.ClientPartitionFactory(tenant=tenant)
    response = admin_client.post(ADD, {"name": "Second"}, follow=True)
    assert response.redirect_chain[-1][0] == CHANGELIST
    assert any("1 of 1 client partitions used" in m for m in messages_of(response))
    assert ClientPartition.objects.filter(tenant=tenant).count() == 1


def test_superuser_adding_for_a_tenant_at_limit_gets_form_error(
    provider_client, tenant, settings
):
    settings.CLIENT_PARTITION_LIMIT = 1
    factories.ClientPartitionFactory(tenant=tenant)
    response = provider_client.post(ADD, {"tenant": tenant.pk, "name": "Second"})
    assert response.status_code == 200
    assert "1 of 1 client partitions used" in str(
        response.context["adminform"].form.non_field_errors()
    )
    assert ClientPartition.objects.filter(tenant=tenant).count() == 1


# ----- change, associations, enable/disable -------------------------------------


def test_change_saves_and_audits(admin_client, tenant):
    partition = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    response = admin_client.post(
        change_url(partition), {"name": "Acme Insurance", "description": "New"}
    )
    assert response.status_code == 302
    partition.refresh_from_db()
    assert (partition.name, partition.description, partition.enabled) == (
        "Acme Insurance",
        "New",
        False,  # the checkbox was left unticked
    )
    entry = LogEntry.objects.get(action_flag=CHANGE, object_id=str(partition.pk))
    assert set(change_message_fields(entry)) == {"Name", "Description", "Enabled"}


def test_associations_list_assigned_services_with_links(admin_client, tenant):
    partition = factories.ClientPartitionFactory(tenant=tenant, name="Acme")
    line = factories.ServiceFactory(
        tenant=tenant, name="Acme Claims Line", client_partition=partition
    )
    factories.ServiceFactory(tenant=tenant, name="Unrelated Queue")
    response = admin_client.get(change_url(partition))
    body = response.text
    assert 'id="associations"' in body
    assert list(response.context["associated_services"]) == [line]
    service_url = reverse("admin:services_service_change", args=[line.pk])
    assert f'<a href="{service_url}">Acme Claims Line</a>' in body
    assert "Unrelated Queue" not in body


@pytest.mark.parametrize(("action", "enabled"), [("enable", True), ("disable", False)])
def test_list_actions_enable_disable_with_audit(
    admin_client, admin_user, tenant, action, enabled
):
    partitions = factories.ClientPartitionFactory.create_batch(
        3, tenant=tenant, enabled=not enabled
    )
    chosen = partitions[:2]
    response = admin_client.post(
        CHANGELIST,
        {
            "action": f"{action}_partitions",
            "_selected_action": [p.pk for p in chosen],
        },
    )
    assert response.status_code == 302
    states = dict(ClientPartition.objects.values_list("pk", "enabled"))
    assert [states[p.pk] for p in partitions] == [enabled, enabled, not enabled]
    entries = LogEntry.objects.filter(action_flag=CHANGE, user=admin_user)
    assert sorted(e.object_id for e in entries) == sorted(str(p.pk) for p in chosen)


# ----- delete ------------------------------------------------------------------------


def test_delete_page_says_the_sentence_with_escaped_name_and_counts(
    admin_client, tenant
):
    name = '<script>alert("x")</script> & Co'
    partition = factories.client_with_data(tenant, name, contacts=3, companies=2)
    unassigned = factories.ServiceFactory(
        tenant=tenant, name="Claims Line", client_partition=partition
    )
    response = admin_client.get(delete_url(partition))
    body = response.text
    assert response.status_code == 200
    assert SENTENCE.format(html.escape(name, quote=True)) in body
    assert "<script>alert" not in body
    assert '<strong data-count="contacts">3</strong>' in body
    assert '<strong data-count="companies">2</strong>' in body
    assert '<strong data-count="emails">3</strong>' in body
    assert '<strong data-count="activities">6</strong>' in body
    assert "Claims Line" in body
    assert reverse("admin:services_service_change", args=[unassigned.pk]) in body
    # A GET never deletes.
    assert ClientPartition.objects.filter(pk=partition.pk).exists()


def test_delete_page_work_is_bounded(
    admin_client, tenant, django_assert_max_num_queries
):
    small = factories.client_with_data(tenant, "Small", contacts=1)
    large = factories.client_with_data(tenant, "Large", contacts=15)
    admin_client.get(delete_url(small))  # reads the permissions, then cached
    with django_assert_max_num_queries(15) as few:
        admin_client.get(delete_url(small))
    with django_assert_max_num_queries(15) as many:
        admin_client.get(delete_url(large))
    assert len(few.captured_queries) == len(many.captured_queries)


def test_confirmed_delete_removes_client_data_only(admin_client, admin_user, tenant):
    doomed = factories.client_with_data(tenant, "Doomed", contacts=3)
    kept = factories.client_with_data(tenant, "Kept", contacts=2)
    service = factories.ServiceFactory(tenant=tenant, client_partition=doomed)

    response = admin_client.post(delete_url(doomed), {"post": "yes"}, follow=True)

    assert response.redirect_chain[-1][0] == CHANGELIST
    assert not ClientPartition.objects.filter(pk=doomed.pk).exists()
    for model in (Contact, Company, Email, Activity):
        assert not model.objects.filter(partition_id=doomed.pk).exists()
        assert model.objects.filter(partition=kept).exists()
    service.refresh_from_db()
    assert service.client_partition is None
    assert Service.objects.filter(pk=service.pk).exists()
    entries = LogEntry.objects.filter(action_flag=DELETION)
    assert len(entries) == 1  # one entry, from the action, with the counts
    assert "3 contacts" in entries[0].change_message
    assert entries[0].user == admin_user
    assert any(
        m.startswith('Client partition "')
        and "deleted: 3 contacts" in m
        and m.endswith("; 1 service unassigned")
        for m in messages_of(response)
    )


def test_delete_of_partition_gone_meanwhile_is_not_an_error(admin_client, tenant):
    """Another administrator's delete lands after the admin has loaded the
    partition and before the delete locks it: the action finds it gone."""
    partition = factories.ClientPartitionFactory(tenant=tenant, name="Gone")
    fired = []

    def delete_meanwhile(execute, sql, params, many, context):
        result = execute(sql, params, many, context)
        # The delete's first count of the client's contacts (its summary) comes
        # after the admin's lookups of the partition.
        if not fired and sql.startswith("SELECT COUNT") and "contacts_contact" in sql:
            fired.append(sql)
            ClientPartition.objects.filter(pk=partition.pk).delete()
        return result

    with connection.execute_wrapper(delete_meanwhile):
        response = admin_client.post(
            delete_url(partition), {"post": "yes"}, follow=True
        )
    assert fired, "the other delete never ran"
    assert response.redirect_chain[-1][0] == CHANGELIST
    assert messages_of(response) == [
        'The client partition "Gone" has already been deleted.'
    ]
    # (The simulated delete ran in the request's own transaction, which the refusal
    # rolled back: only the message is this test's to check.)


def test_delete_without_csrf_token_is_refused(admin_user, tenant):
    partition = factories.ClientPartitionFactory(tenant=tenant)
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    assert client.post(delete_url(partition), {"post": "yes"}).status_code == 403
    assert ClientPartition.objects.filter(pk=partition.pk).exists()


def test_stock_delete_selected_replaced_by_counting_action(admin_client, tenant):
    a = factories.client_with_data(tenant, "Alpha", contacts=2)
    b = factories.client_with_data(tenant, "Beta", contacts=1)
    keep = factories.client_with_data(tenant, "Gamma", contacts=1)
    listing = admin_client.get(CHANGELIST)
    choices = dict(listing.context["action_form"].fields["action"].choices)
    assert "delete_selected" not in choices
    assert "delete_selected_partitions" in choices

    selected = {
        "action": "delete_selected_partitions",
        "_selected_action": [a.pk, b.pk],
    }
    page = admin_client.post(CHANGELIST, selected)
    assert page.status_code == 200
    assert SENTENCE.format("Alpha") in page.text
    assert SENTENCE.format("Beta") in page.text
    assert ClientPartition.objects.count() == 3

    done = admin_client.post(CHANGELIST, {**selected, "post": "yes"}, follow=True)
    assert done.status_code == 200
    assert list(ClientPartition.objects.all()) == [keep]
    assert Contact.objects.filter(partition=keep).count() == 1
    assert LogEntry.objects.filter(action_flag=DELETION).count() == 2
