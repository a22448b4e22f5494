"""Privileges matrix: what each role may do with client partitions and people, and
CSRF.

Administrators without the delete permission see no "x" and get 403; without the
change permission, no enable/disable; agents get no admin at all; only superusers
change a tenant's limit; a POST without a CSRF token is refused; a GET of the delete
URL never deletes. On Tenancy > People, of the three roles only administrators
manage people, and every attempt to escalate (a forged role, group, permission,
superuser or staff flag, another tenant's person or client) is refused or ignored
with nothing changed.
"""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Permission, User
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from ccadmin import people
from ccadmin.models import ApiToken, Membership, Tenant
from ccadmin.roles import ADMINISTRATORS, AGENTS, ensure_roles
from contacts.models import Contact
from partitions.models import ClientAssignment, ClientPartition
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


def subject_url(partition, step: str) -> str:
    """A data subject's export or erase page, for the partition's first contact."""
    contact = partition.contacts.order_by("pk").first()
    return reverse(f"admin:contacts_contact_subject_{step}", args=[contact.pk])


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
    "contact-merge": lambda p: reverse("admin:contacts_contact_merge"),
    "contact-duplicates": lambda p: reverse("admin:contacts_contact_duplicates"),
    "contact-subject-export": lambda p: subject_url(p, "export"),
    "contact-subject-erase": lambda p: subject_url(p, "erase"),
    "service-list": lambda p: reverse("admin:services_service_changelist"),
    "token-list": lambda p: reverse("admin:services_gatewaytoken_changelist"),
    "audit-trail": lambda p: reverse("admin:ccadmin_auditentry_changelist"),
    "api-token-list": lambda p: reverse("admin:ccadmin_apitoken_changelist"),
    "api-token-add": lambda p: reverse("admin:ccadmin_apitoken_add"),
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
        "contact-move-action": (
            reverse("admin:contacts_contact_changelist"),
            {
                "action": "move_to_client",
                "_selected_action": list(
                    partition.contacts.values_list("pk", flat=True)
                ),
                "post": "yes",
                "target": "none",
            },
        ),
        "contact-merge": (
            reverse("admin:contacts_contact_merge"),
            {
                "ids": ",".join(
                    str(pk) for pk in partition.contacts.values_list("pk", flat=True)
                ),
                "keep": partition.contacts.first().pk,
            },
        ),
        "partition-export": (
            reverse("admin:partitions_clientpartition_export", args=[partition.pk]),
            {},
        ),
        "contact-subject-export": (subject_url(partition, "export"), {"by": "email"}),
        "contact-subject-erase": (subject_url(partition, "erase"), {"by": "email"}),
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
    "contact-move-action",
    "contact-merge",
    "contact-subject-export",
    "contact-subject-erase",
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


def contact_viewer(tenant, level: str, partition):
    """A staff member who may only view contacts: of the whole tenant, or of
    `partition` only (a client supervisor stripped of their other permissions)."""
    if level == "tenant":
        user = factories.administrator(tenant)
    else:
        user = factories.client_supervisor(tenant, clients=[partition])
    user.groups.clear()
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="contacts", codename="view_contact"
        )
    )
    return user


@pytest.mark.parametrize("level", ["tenant", "client"])
def test_viewers_of_contacts_neither_move_nor_merge(tenant, level):
    """Moving needs the change permission on contacts, merging change and delete:
    a viewer is offered neither action, and their forged posts change nothing."""
    partition = factories.client_with_data(tenant, "Acme", contacts=2)
    other = factories.ClientPartitionFactory(tenant=tenant, name="Globex")
    client = signed_in(contact_viewer(tenant, level, partition))
    changelist = reverse("admin:contacts_contact_changelist")
    listing = client.get(changelist)
    assert listing.status_code == 200
    assert not {"move_to_client", "merge_selected"} & offered_actions(listing)
    ids = list(partition.contacts.values_list("pk", flat=True))
    before = list(Contact.objects.values()), LogEntry.objects.count()
    client.post(
        changelist,
        {
            "action": "move_to_client",
            "_selected_action": ids,
            "post": "yes",
            "target": other.pk,
        },
    )
    merge = client.post(
        reverse("admin:contacts_contact_merge"),
        {"ids": ",".join(map(str, ids)), "keep": ids[0]},
    )
    assert merge.status_code == 403
    assert (list(Contact.objects.values()), LogEntry.objects.count()) == before


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


# ----- a data subject's export and erasure, by permission ---------------------------


def contacts_administrator(tenant, verbs: list[str]):
    """A staff member of `tenant` holding only these contact permissions."""
    user = factories.administrator(tenant)
    user.groups.clear()
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="contacts",
            codename__in=[f"{verb}_contact" for verb in verbs],
        )
    )
    return user


# permissions on contacts -> (export page, erase page) status for a GET and a POST.
SUBJECT_ROLES = {
    "view-only": (["view"], 200, 403),
    "view-delete": (["view", "delete"], 200, 200),
    "change-only": (["change"], 200, 403),  # change implies view in the admin
    "none": ([], 403, 403),
}  # fmt: skip


@pytest.mark.parametrize("role", list(SUBJECT_ROLES))
def test_data_subject_pages_by_permission(tenant, role):
    verbs, export_status, erase_status = SUBJECT_ROLES[role]
    partition = factories.client_with_data(tenant, "Acme", contacts=1)
    client = signed_in(contacts_administrator(tenant, verbs))
    assert client.get(subject_url(partition, "export")).status_code == export_status
    assert client.get(subject_url(partition, "erase")).status_code == erase_status
    posted = client.post(subject_url(partition, "erase"), {"by": "email"})
    assert posted.status_code == (302 if erase_status == 200 else 403)
    assert Contact.objects.filter(partition=partition).count() == (
        0 if erase_status == 200 else 1
    )


@pytest.mark.parametrize("query", ["", "?by=email&post=yes"], ids=["plain", "forged"])
def test_get_of_the_data_subject_pages_changes_nothing(admin_client, tenant, query):
    partition = factories.client_with_data(tenant, "Acme", contacts=2)
    entries = LogEntry.objects.count()
    for step in ("export", "erase"):
        response = admin_client.get(subject_url(partition, step) + query)
        assert response.status_code == 200
        assert response["Content-Type"].startswith("text/html")
    assert Contact.objects.filter(partition=partition).count() == 2
    assert LogEntry.objects.count() == entries


# ----- Tenancy > People: the three roles, and attempts to escalate -----------------

PEOPLE = reverse("admin:ccadmin_membership_changelist")
PEOPLE_ADD = reverse("admin:ccadmin_membership_add")
PEOPLE_IMPORT = reverse("admin:ccadmin_membership_import")


def person_url(membership, view: str = "change") -> str:
    return reverse(f"admin:ccadmin_membership_{view}", args=[membership.pk])


def people_state() -> list:
    """Everything escalation could change: accounts (flags included), their groups
    and own permissions, memberships and their clients."""
    return [
        list(User.objects.order_by("pk").values()),
        list(User.groups.through.objects.order_by("pk").values()),
        list(User.user_permissions.through.objects.order_by("pk").values()),
        list(Membership.objects.order_by("pk").values()),
        list(ClientAssignment.objects.order_by("pk").values()),
    ]


def person_form(membership, **overrides) -> dict:
    """The person's change form as the page shows it, with `overrides`."""
    user = membership.user
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": people.role_of(user),
        "all_clients": "on",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def person_add_form(**overrides) -> dict:
    data = {
        "username": "newcomer",
        "role": AGENTS,
        "all_clients": "on",
        "sign_in": "link",
    }
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def role_member(role: str, tenant):
    return {
        "agent": factories.agent,
        "supervisor": factories.client_supervisor,
        "administrator": factories.administrator,
    }[role](tenant)


# role -> (changelist, add, change, import): what each of the three roles gets on
# People. Agents are not staff (sent to the sign-in page); client supervisors are
# staff without permissions on people (403); administrators manage them.
PEOPLE_PAGES = {
    "changelist": lambda m: PEOPLE,
    "add": lambda m: PEOPLE_ADD,
    "change": person_url,
    "import": lambda m: PEOPLE_IMPORT,
}
PEOPLE_MATRIX = {
    "agent": {"changelist": 302, "add": 302, "change": 302, "import": 302},
    "supervisor": {"changelist": 403, "add": 403, "change": 403, "import": 403},
    "administrator": {"changelist": 200, "add": 200, "change": 200, "import": 200},
}  # fmt: skip


@pytest.mark.parametrize("page", list(PEOPLE_PAGES))
@pytest.mark.parametrize("role", list(PEOPLE_MATRIX))
def test_people_pages_by_role(tenant, role, page):
    someone = factories.agent(tenant, username="someone")
    client = signed_in(role_member(role, tenant))
    response = client.get(PEOPLE_PAGES[page](someone.membership))
    assert response.status_code == PEOPLE_MATRIX[role][page]
    if response.status_code == 302:
        assert response.url.startswith(reverse("admin:login"))


@pytest.mark.parametrize("role", ["agent", "supervisor"])
@pytest.mark.parametrize("attempt", ["add", "change", "deactivate", "import"], ids=str)
def test_agents_and_supervisors_posting_to_people_change_nothing(tenant, role, attempt):
    someone = factories.agent(tenant, username="someone")
    client = signed_in(role_member(role, tenant))
    before = people_state()
    url, data = {
        "add": (PEOPLE_ADD, person_add_form(role=ADMINISTRATORS)),
        "change": (
            person_url(someone.membership),
            person_form(someone.membership, role=ADMINISTRATORS),
        ),
        "deactivate": (
            PEOPLE,
            {"action": "deactivate", "_selected_action": [someone.membership.pk]},
        ),
        "import": (
            PEOPLE_IMPORT,
            {"file": SimpleUploadedFile("p.csv", b"username,role\nx,administrator\n")},
        ),
    }[attempt]
    response = client.post(url, data)
    assert response.status_code in (302, 403)
    if response.status_code == 302:
        assert response.url.startswith(reverse("admin:login"))
    assert people_state() == before


# Forged fields an administrator's browser might post on People: none is a field
# of the form, so none is read; the person gets exactly the role chosen.
def _forged_fields():
    admin_group = ensure_roles()[ADMINISTRATORS]
    permission = Permission.objects.get(codename="change_tenant")
    return {
        "groups": {"groups": [admin_group.pk]},
        "user_permissions": {"user_permissions": [permission.pk]},
        "is_superuser": {"is_superuser": "on"},
        "is_staff": {"is_staff": "on"},
        "user": {"user": "1"},
    }


FORGED = ["groups", "user_permissions", "is_superuser", "is_staff", "user"]


@pytest.mark.parametrize("forged", FORGED)
def test_forged_privileges_in_a_change_are_ignored(admin_client, tenant, forged):
    agent = factories.agent(tenant, username="someone")
    before = people_state()
    data = person_form(agent.membership, **_forged_fields()[forged])
    response = admin_client.post(person_url(agent.membership), data)
    assert response.status_code == 302
    assert people_state() == before


@pytest.mark.parametrize("forged", FORGED)
def test_forged_privileges_in_an_add_are_ignored(admin_client, tenant, forged):
    response = admin_client.post(
        PEOPLE_ADD, person_add_form(**_forged_fields()[forged])
    )
    assert response.status_code == 302
    newcomer = User.objects.get(username="newcomer")
    assert (newcomer.is_superuser, newcomer.is_staff) == (False, False)
    assert list(newcomer.groups.values_list("name", flat=True)) == [AGENTS]
    assert not newcomer.user_permissions.exists()
    assert newcomer.membership.tenant == tenant


@pytest.mark.parametrize(
    "role", ["Superusers", "", "Night shift", "admin", "Contact center administrator"]
)
def test_a_forged_role_is_refused_and_nothing_changes(admin_client, tenant, role):
    from django.contrib.auth.models import Group

    Group.objects.get_or_create(name="Night shift")
    agent = factories.agent(tenant, username="someone")
    before = people_state()
    change = admin_client.post(
        person_url(agent.membership), person_form(agent.membership, role=role)
    )
    add = admin_client.post(PEOPLE_ADD, person_add_form(role=role))
    for response in (change, add):
        assert response.status_code == 200
        assert "role" in response.context["adminform"].form.errors
    assert people_state() == before


@pytest.mark.parametrize("view", ["change", "history"])
@pytest.mark.parametrize("method", ["GET", "POST"])
def test_another_tenants_person_does_not_exist(
    admin_client, other_tenant, view, method
):
    stranger = factories.agent(other_tenant, username="stranger")
    before = people_state()
    url = person_url(stranger.membership, view)
    data = person_form(stranger.membership, role=ADMINISTRATORS, email="x@evil.test")
    response = getattr(admin_client, method.lower())(url, data, follow=True)
    assert response.redirect_chain[-1][0] == reverse("admin:index")
    assert people_state() == before


@pytest.mark.parametrize("action", ["deactivate", "reactivate", "set_password_links"])
def test_actions_on_another_tenants_person_do_nothing(
    admin_client, tenant, other_tenant, action
):
    stranger = factories.agent(other_tenant, username="stranger")
    stranger.is_active = action != "reactivate"
    stranger.save()
    before = people_state()
    entries = LogEntry.objects.count()
    response = admin_client.post(
        PEOPLE,
        {"action": action, "_selected_action": [stranger.membership.pk]},
        follow=True,
    )
    assert response.status_code == 200
    assert "/reset/" not in response.text
    assert people_state() == before
    assert LogEntry.objects.count() == entries


@pytest.mark.parametrize("form", ["add", "change"])
def test_another_tenants_client_is_an_invalid_choice(
    admin_client, tenant, other_tenant, form
):
    theirs = factories.ClientPartitionFactory(tenant=other_tenant, name="Contoso")
    agent = factories.agent(tenant, username="someone")
    before = people_state()
    url, data = {
        "add": (PEOPLE_ADD, person_add_form(all_clients=None, clients=[theirs.pk])),
        "change": (
            person_url(agent.membership),
            person_form(agent.membership, all_clients=None, clients=[theirs.pk]),
        ),
    }[form]
    response = admin_client.post(url, data)
    assert response.status_code == 200
    assert "clients" in response.context["adminform"].form.errors
    assert people_state() == before


def test_an_administrator_cannot_make_themselves_superuser(admin_client, admin_user):
    before = people_state()
    data = person_form(admin_user.membership, is_superuser="on", groups=[1, 2, 3])
    response = admin_client.post(person_url(admin_user.membership), data)
    assert response.status_code == 302
    assert people_state() == before
    admin_user.refresh_from_db()
    assert not admin_user.is_superuser


def test_administrators_do_not_see_the_providers_accounts(admin_client, tenant):
    # A superuser given a membership by mistake is still nobody's person.
    provider = factories.superuser(username="provider")
    Membership.objects.create(user=provider, tenant=tenant)
    before = people_state()
    listing = admin_client.get(PEOPLE)
    assert provider.membership not in listing.context["cl"].result_list
    admin_client.post(
        PEOPLE,
        {"action": "deactivate", "_selected_action": [provider.membership.pk]},
    )
    admin_client.post(
        person_url(provider.membership),
        person_form(provider.membership, role=AGENTS),
    )
    assert people_state() == before


@pytest.mark.parametrize(
    "page", ["people-add", "people-change", "people-action", "people-import"]
)
def test_people_posts_without_csrf_token_are_refused(tenant, admin_user, page):
    agent = factories.agent(tenant, username="someone")
    url, data = {
        "people-add": (PEOPLE_ADD, person_add_form()),
        "people-change": (
            person_url(agent.membership),
            person_form(agent.membership, role=ADMINISTRATORS),
        ),
        "people-action": (
            PEOPLE,
            {"action": "deactivate", "_selected_action": [agent.membership.pk]},
        ),
        "people-import": (
            PEOPLE_IMPORT,
            {"file": SimpleUploadedFile("p.csv", b"username,role\nx,agent\n")},
        ),
    }[page]
    client = signed_in(admin_user, enforce_csrf_checks=True)
    before = people_state()
    response = client.post(url, data)
    assert response.status_code == 403
    assert people_state() == before


# ----- administration API v1 (issue 15) ---------------------------------------------

# route: (method, path after /api/v1/ with {pk}, JSON body, the permission needed),
# the admin's permission for the same screen.
API_ROUTES = {
    "partition-list": (
        "get",
        "client-partitions/",
        None,
        "partitions.view_clientpartition",
    ),
    "partition-get": (
        "get",
        "client-partitions/{pk}/",
        None,
        "partitions.view_clientpartition",
    ),
    "partition-usage": (
        "get",
        "client-partitions/usage/",
        None,
        "partitions.view_clientpartition",
    ),
    "partition-add": (
        "post",
        "client-partitions/",
        {"name": "New"},
        "partitions.add_clientpartition",
    ),
    "partition-change": (
        "patch",
        "client-partitions/{pk}/",
        {"enabled": False},
        "partitions.change_clientpartition",
    ),
    "partition-delete": (
        "delete",
        "client-partitions/{pk}/?confirm=Acme",
        None,
        "partitions.delete_clientpartition",
    ),
    "partition-preview": (
        "get",
        "client-partitions/{pk}/deletion-preview/",
        None,
        "partitions.delete_clientpartition",
    ),
    "partition-export": (
        "post",
        "client-partitions/{pk}/export/",
        None,
        "partitions.view_clientpartition",
    ),
    "service-list": ("get", "services/", None, "services.view_service"),
    "service-get": ("get", "services/{service}/", None, "services.view_service"),
    "service-assign": (
        "patch",
        "services/{service}/",
        {"client_partition": None},
        "services.change_service",
    ),
    "contact-list": ("get", "contacts/", None, "contacts.view_contact"),
    "contact-get": ("get", "contacts/{contact}/", None, "contacts.view_contact"),
    "contact-add": (
        "post",
        "contacts/",
        {"first_name": "Eve", "partition": "{pk}"},
        "contacts.add_contact",
    ),
    "contact-change": (
        "patch",
        "contacts/{contact}/",
        {"first_name": "Eve"},
        "contacts.change_contact",
    ),
    "company-list": ("get", "companies/", None, "contacts.view_company"),
    "email-list": ("get", "emails/", None, "contacts.view_email"),
    "activity-list": ("get", "activities/", None, "contacts.view_activity"),
    "audit-list": ("get", "audit-entries/", None, "ccadmin.view_auditentry"),
}


def _api_call(user, route, acme):
    import json

    method, path, body, _perm = API_ROUTES[route]
    ids = {
        "pk": acme.pk,
        "service": acme.services.get().pk,
        "contact": acme.contacts.first().pk,
    }
    _token, key = factories.api_token(user)
    client = Client(headers={"Authorization": f"Bearer {key}"})
    if body is not None:
        body = json.loads(json.dumps(body).replace('"{pk}"', str(acme.pk)))
    return getattr(client, method)(
        "/api/v1/" + path.format(**ids),
        json.dumps(body) if body is not None else None,
        content_type="application/json",
    )


def _member_holding(tenant, perms: list[str]):
    """A member of `tenant` (for every client) with exactly these permissions."""
    user = factories.administrator(tenant)
    user.groups.clear()
    user.user_permissions.set(
        Permission.objects.get(content_type__app_label=app, codename=codename)
        for app, codename in (perm.split(".") for perm in perms)
    )
    return User.objects.get(pk=user.pk)


@pytest.mark.parametrize("route", list(API_ROUTES))
def test_api_route_needs_the_admins_permission(tenant, route):
    acme = factories.client_with_data(tenant, "Acme", contacts=1)
    factories.ServiceFactory(tenant=tenant, name="Acme Line", client_partition=acme)
    needed = API_ROUTES[route][3]
    every = [
        f"{p.content_type.app_label}.{p.codename}"
        for p in Permission.objects.filter(
            content_type__app_label__in=[
                "partitions",
                "services",
                "contacts",
                "ccadmin",
            ]
        ).select_related("content_type")
    ]
    without = _member_holding(tenant, [p for p in every if p != needed])
    entries = LogEntry.objects.count()
    before = list(ClientPartition.objects.values())
    response = _api_call(without, route, acme)
    assert response.status_code == 403, (response.status_code, response.content)
    assert response["Content-Type"] == "application/problem+json"
    assert list(ClientPartition.objects.values()) == before
    assert LogEntry.objects.count() == entries + 1  # the token's own creation
    # and the permission alone is enough (with "view" to find the object)
    app = needed.split(".")[0]
    model = needed.split("_", 1)[1]
    holder = _member_holding(tenant, sorted({needed, f"{app}.view_{model}"}))
    assert _api_call(holder, route, acme).status_code in (200, 201, 204)


@pytest.mark.parametrize("door", ["token", "session"])
@pytest.mark.parametrize("route", list(API_ROUTES))
def test_agents_get_no_api(tenant, route, door):
    """Agents have no admin (not staff), so no API: not with a token made before
    they lost admin access, nor with their agent desktop's session and CSRF token,
    though their permissions (view partitions, add contacts) would let them."""
    import json

    acme = factories.client_with_data(tenant, "Acme", contacts=1)
    factories.ServiceFactory(tenant=tenant, name="Acme Line", client_partition=acme)
    agent = factories.agent(tenant)
    before = (list(ClientPartition.objects.values()), LogEntry.objects.count())
    if door == "token":
        response = _api_call(agent, route, acme)
        before = (before[0], before[1] + 1)  # the token's own creation
    else:
        method, path, body, _perm = API_ROUTES[route]
        client = signed_in(agent, enforce_csrf_checks=True)
        # the agent desktop sets the CSRF cookie a script in their browser could read
        assert client.get(reverse("agent:desktop")).status_code == 200
        token = client.cookies["csrftoken"].value
        if body is not None:
            body = json.loads(json.dumps(body).replace('"{pk}"', str(acme.pk)))
        ids = {
            "pk": acme.pk,
            "service": acme.services.get().pk,
            "contact": acme.contacts.first().pk,
        }
        response = getattr(client, method)(
            "/api/v1/" + path.format(**ids),
            json.dumps(body) if body is not None else None,
            content_type="application/json",
            headers={"X-CSRFToken": token},
        )
    assert response.status_code == 403, (response.status_code, response.content)
    assert response["Content-Type"] == "application/problem+json"
    assert (list(ClientPartition.objects.values()), LogEntry.objects.count()) == before


# ----- Tenancy > API tokens: personal keys ----------------------------------------

API_TOKENS = reverse("admin:ccadmin_apitoken_changelist")
API_TOKEN_ADD = reverse("admin:ccadmin_apitoken_add")


def api_token_url(token, view: str = "change") -> str:
    return reverse(f"admin:ccadmin_apitoken_{view}", args=[token.pk])


def api_token_state() -> list:
    return list(ApiToken.objects.order_by("pk").values())


# role -> (list, add, own token's page): agents have no admin; client supervisors
# and administrators make and revoke their own tokens.
API_TOKEN_MATRIX = {
    "agent": {"list": 302, "add": 302, "own": 302},
    "supervisor": {"list": 200, "add": 200, "own": 200},
    "administrator": {"list": 200, "add": 200, "own": 200},
}


@pytest.mark.parametrize("page", ["list", "add", "own"])
@pytest.mark.parametrize("role", list(API_TOKEN_MATRIX))
def test_api_token_pages_by_role(tenant, role, page):
    user = role_member(role, tenant)
    token, _key = factories.api_token(user)
    client = signed_in(user)
    url = {"list": API_TOKENS, "add": API_TOKEN_ADD, "own": api_token_url(token)}
    response = client.get(url[page])
    assert response.status_code == API_TOKEN_MATRIX[role][page]
    if response.status_code == 302:
        assert response.url.startswith(reverse("admin:login"))


def test_agents_neither_add_nor_revoke_api_tokens(tenant):
    agent = factories.agent(tenant)
    token, _key = factories.api_token(agent)  # made for them by the operator
    client = signed_in(agent)
    before = api_token_state()
    client.post(API_TOKEN_ADD, {"name": "Mine"})
    client.post(api_token_url(token, "revoke"))
    client.post(
        API_TOKENS, {"action": "revoke_selected", "_selected_action": [token.pk]}
    )
    assert api_token_state() == before


def staff_with_api_token_permissions(tenant, codenames: list[str]):
    """A staff member of `tenant` holding only these ccadmin permissions."""
    user = factories.client_supervisor(tenant)
    user.groups.clear()
    user.user_permissions.set(
        Permission.objects.filter(
            content_type__app_label="ccadmin", codename__in=codenames
        )
    )
    return user


def test_without_api_token_permissions_the_screens_are_forbidden(tenant):
    user = staff_with_api_token_permissions(tenant, ["view_auditentry"])
    token, _key = factories.api_token(user)
    client = signed_in(user)
    before = api_token_state()
    assert client.get(API_TOKENS).status_code == 403
    assert client.get(API_TOKEN_ADD).status_code == 403
    assert client.post(API_TOKEN_ADD, {"name": "Mine"}).status_code == 403
    assert client.post(api_token_url(token, "revoke")).status_code == 403
    assert api_token_state() == before


def test_viewing_own_api_tokens_without_change_permission_revokes_nothing(tenant):
    user = staff_with_api_token_permissions(tenant, ["view_apitoken"])
    token, _key = factories.api_token(user)
    client = signed_in(user)
    before = api_token_state()
    listing = client.get(API_TOKENS)
    assert listing.status_code == 200
    assert offered_actions(listing) == set()
    page = client.get(api_token_url(token))
    assert api_token_url(token, "revoke") not in page.text
    assert client.post(api_token_url(token, "revoke")).status_code == 403
    client.post(
        API_TOKENS, {"action": "revoke_selected", "_selected_action": [token.pk]}
    )
    assert api_token_state() == before


def test_tenant_tokens_need_the_administrators_permission(tenant):
    """Change permission alone revokes one's own tokens; the tenant's need
    manage_tenant_apitoken, which only administrators hold."""
    supervisor = staff_with_api_token_permissions(
        tenant, ["view_apitoken", "change_apitoken"]
    )
    colleagues, _key = factories.api_token(factories.client_supervisor(tenant))
    client = signed_in(supervisor)
    before = api_token_state()
    assert colleagues not in client.get(API_TOKENS).context["cl"].result_list
    client.post(api_token_url(colleagues, "revoke"))
    client.post(
        API_TOKENS, {"action": "revoke_selected", "_selected_action": [colleagues.pk]}
    )
    assert api_token_state() == before
    assert (
        ensure_roles()[ADMINISTRATORS]
        .permissions.filter(codename="manage_tenant_apitoken")
        .exists()
    )


@pytest.mark.parametrize("case", ["add", "revoke", "revoke-action"])
def test_api_token_posts_without_csrf_token_are_refused(tenant, admin_user, case):
    token, _key = factories.api_token(admin_user)
    url, data = {
        "add": (API_TOKEN_ADD, {"name": "Forged"}),
        "revoke": (api_token_url(token, "revoke"), {}),
        "revoke-action": (
            API_TOKENS,
            {"action": "revoke_selected", "_selected_action": [token.pk]},
        ),
    }[case]
    client = signed_in(admin_user, enforce_csrf_checks=True)
    before = (api_token_state(), LogEntry.objects.count())
    response = client.post(url, data)
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert (api_token_state(), LogEntry.objects.count()) == before
