"""Privileges matrix: what each role may do with client partitions, and CSRF.

Administrators without the delete permission see no "x" and get 403; without the
change permission, no enable/disable; agents get no admin at all; only superusers
change a tenant's limit; a POST without a CSRF token is refused; a GET of the delete
URL never deletes.
"""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ccadmin.models import Tenant
from contacts.models import Contact
from partitions.models import ClientPartition
from tests import factories
from tests.factories import signed_in

CHANGELIST = reverse("admin:partitions_clientpartition_changelist")
ACTION_NAMES = ["enable_partitions", "disable_partitions", "delete_selected_partitions"]


def administrator_with(tenant, verbs: list[str]):
    """A staff member of `tenant` holding only these client partition permissions."""
    user = factories.administrator(tenant)
    user.groups.clear()
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="partitions",
            codename__in=[f"{verb}_clientpartition" for verb in verbs],
        )
    )
    return user


def delete_url(partition) -> str:
    return reverse("admin:partitions_clientpartition_delete", args=[partition.pk])


def change_url(partition) -> str:
    return reverse("admin:partitions_clientpartition_change", args=[partition.pk])


def offered_actions(response) -> set[str]:
    form = response.context["action_form"]
    if form is None:  # no action at all: the admin shows no action bar
        return set()
    return {name for name, _label in form.fields["action"].choices if name}


# (role, permissions) -> what the list offers: the "x", and which actions.
ROLES = {
    "view-only": (["view"], False, set()),
    "view-change": (["view", "change"], False, set(ACTION_NAMES[:2])),
    "view-delete": (["view", "delete"], True, {"delete_selected_partitions"}),
    "all": (["view", "add", "change", "delete"], True, set(ACTION_NAMES)),
}  # fmt: skip


@pytest.mark.parametrize("role", list(ROLES))
def test_list_offers_x_and_actions_by_permission(tenant, role):
    verbs, has_x, actions = ROLES[role]
    partition = factories.ClientPartitionFactory(tenant=tenant)
    client = signed_in(administrator_with(tenant, verbs))
    response = client.get(CHANGELIST)
    assert response.status_code == 200
    assert (f'href="{delete_url(partition)}"' in response.text) is has_x
    assert offered_actions(response) == actions


@pytest.mark.parametrize("role", ["view-only", "view-change"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_without_delete_permission_delete_url_is_403_and_deletes_nothing(
    tenant, role, method
):
    partition = factories.client_with_data(tenant, "Acme", contacts=1)
    client = signed_in(administrator_with(tenant, ROLES[role][0]))
    url = delete_url(partition)
    response = client.get(url) if method == "GET" else client.post(url, {"post": "yes"})
    assert response.status_code == 403
    assert ClientPartition.objects.filter(pk=partition.pk).exists()


@pytest.mark.parametrize("role", ["view-only", "view-delete"])
@pytest.mark.parametrize("action", ["enable_partitions", "disable_partitions"])
def test_without_change_permission_enable_and_disable_do_nothing(tenant, role, action):
    partition = factories.ClientPartitionFactory(
        tenant=tenant, enabled=action == "disable_partitions"
    )
    client = signed_in(administrator_with(tenant, ROLES[role][0]))
    response = client.post(
        CHANGELIST, {"action": action, "_selected_action": [partition.pk]}
    )
    assert response.status_code in (200, 302)
    partition.refresh_from_db()
    assert partition.enabled is (action == "disable_partitions")
    edit = client.post(change_url(partition), {"name": "Renamed", "enabled": "on"})
    assert edit.status_code == 403
    partition.refresh_from_db()
    assert partition.name != "Renamed"


AGENT_ADMIN_URLS = {
    "index": lambda p: reverse("admin:index"),
    "partition-list": lambda p: CHANGELIST,
    "partition-add": lambda p: reverse("admin:partitions_clientpartition_add"),
    "partition-change": change_url,
    "partition-delete": delete_url,
    "partition-export": lambda p: reverse(
        "admin:partitions_clientpartition_export", args=[p.pk]
    ),
    "contact-list": lambda p: reverse("admin:contacts_contact_changelist"),
    "contact-import": lambda p: reverse("admin:contacts_contact_import"),
    "service-list": lambda p: reverse("admin:services_service_changelist"),
    "token-list": lambda p: reverse("admin:services_gatewaytoken_changelist"),
    "audit-trail": lambda p: reverse("admin:ccadmin_auditentry_changelist"),
    "signin-lockouts": lambda p: reverse("admin:axes_accessattempt_changelist"),
}


@pytest.mark.parametrize("page", list(AGENT_ADMIN_URLS))
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_agents_get_no_admin_at_all(tenant, page, method):
    partition = factories.client_with_data(tenant, "Acme", contacts=1)
    client = signed_in(factories.agent(tenant))
    url = AGENT_ADMIN_URLS[page](partition)
    response = getattr(client, method.lower())(url, {"post": "yes"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("admin:login"))
    assert ClientPartition.objects.filter(pk=partition.pk).exists()


def test_agents_cannot_sign_in_to_the_admin(tenant):
    agent = factories.agent(tenant)
    client = Client()
    login = client.post(
        reverse("admin:login") + "?next=/admin/",
        {"username": agent.username, "password": "pw"},
    )
    assert login.status_code == 200
    assert "staff account" in login.text
    assert client.get(reverse("admin:index")).status_code == 302


@pytest.mark.parametrize("method", ["GET", "POST"])
def test_only_superusers_change_a_tenants_limit(tenant, admin_client, method):
    url = reverse("admin:ccadmin_tenant_change", args=[tenant.pk])
    data = {"name": tenant.name, "slug": tenant.slug, "client_partition_limit": 99}
    response = getattr(admin_client, method.lower())(url, data)
    assert response.status_code == 403
    assert Tenant.objects.get(pk=tenant.pk).client_partition_limit is None
    # Nor through the partition screens: their forms carry no limit field.
    form = (
        admin_client.get(reverse("admin:partitions_clientpartition_add"))
        .context["adminform"]
        .form
    )
    assert "client_partition_limit" not in form.fields


def test_superuser_changes_a_tenants_limit(tenant, provider_client):
    url = reverse("admin:ccadmin_tenant_change", args=[tenant.pk])
    response = provider_client.post(
        url,
        {
            "name": tenant.name,
            "slug": tenant.slug,
            "client_partition_limit": 7,
            "memberships-TOTAL_FORMS": 0,
            "memberships-INITIAL_FORMS": 0,
        },
    )
    assert response.status_code == 302
    assert Tenant.objects.get(pk=tenant.pk).client_partition_limit == 7


# Every state-changing POST, sent without a CSRF token: (name, url, data, unchanged).
def _csrf_cases(partition):
    return {
        "partition-add": (
            reverse("admin:partitions_clientpartition_add"),
            {"name": "Forged", "enabled": "on"},
        ),
        "partition-change": (change_url(partition), {"name": "Forged"}),
        "partition-delete": (delete_url(partition), {"post": "yes"}),
        "partition-disable-action": (
            CHANGELIST,
            {"action": "disable_partitions", "_selected_action": [partition.pk]},
        ),
        "partition-delete-action": (
            CHANGELIST,
            {
                "action": "delete_selected_partitions",
                "_selected_action": [partition.pk],
                "post": "yes",
            },
        ),
        "contact-import": (
            reverse("admin:contacts_contact_import"),
            {"file": SimpleUploadedFile("c.csv", b"first name\nForged\n")},
        ),
        "agent-new-contact": (reverse("agent:new_contact"), {"first_name": "Forged"}),
        "partition-export": (
            reverse("admin:partitions_clientpartition_export", args=[partition.pk]),
            {},
        ),
    }


CSRF_CASES = [
    "partition-add",
    "partition-change",
    "partition-delete",
    "partition-disable-action",
    "partition-delete-action",
    "contact-import",
    "agent-new-contact",
    "partition-export",
]


@pytest.mark.parametrize("case", CSRF_CASES)
def test_post_without_csrf_token_is_refused(tenant, admin_user, case):
    partition = factories.client_with_data(tenant, "Acme", contacts=1)
    url, data = _csrf_cases(partition)[case]
    client = signed_in(admin_user, enforce_csrf_checks=True)
    before = (
        list(ClientPartition.objects.values()),
        Contact.objects.count(),
        LogEntry.objects.count(),
    )
    response = client.post(url, data)
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert (
        list(ClientPartition.objects.values()),
        Contact.objects.count(),
        LogEntry.objects.count(),
    ) == before


@pytest.mark.parametrize("query", ["", "?post=yes"], ids=["plain", "with-post-yes"])
def test_get_of_the_delete_url_never_deletes(admin_client, tenant, query):
    partition = factories.client_with_data(tenant, "Acme", contacts=2)
    response = admin_client.get(delete_url(partition) + query)
    assert response.status_code == 200
    assert "Are you absolutely sure" in response.text
    assert ClientPartition.objects.filter(pk=partition.pk).exists()
    assert Contact.objects.filter(partition=partition).count() == 2


def test_get_of_the_export_url_exports_nothing_and_audits_nothing(admin_client, tenant):
    partition = factories.client_with_data(tenant, "Acme", contacts=2)
    url = reverse("admin:partitions_clientpartition_export", args=[partition.pk])
    entries = LogEntry.objects.count()
    response = admin_client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/html")
    assert LogEntry.objects.count() == entries
