"""Tenancy > People: a tenant's administrator manages their own people in the admin.

Every operation, through the admin, by an administrator of the tenant: add (with an
initial password or a set-password link), change the details, the role and the
clients, deactivate and reactivate, make set-password links; the list shows only the
tenant's people and their last sign-in. Each write is audited on the person, in the
tenant's trail. Nobody deletes a person; the last administrator stays one.
"""

import datetime as dt

import pytest
from django.contrib.admin.models import ADDITION, CHANGE
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from ccadmin import actions, audit, people
from ccadmin.models import AuditEntry, Membership
from ccadmin.roles import ADMINISTRATORS, AGENTS, CLIENT_SUPERVISORS
from tests import factories
from tests.admin_cases import assert_audited
from tests.factories import signed_in

CHANGELIST = reverse("admin:ccadmin_membership_changelist")
ADD = reverse("admin:ccadmin_membership_add")
STRONG = "Kumo-no-ue-42!"


def change_url(membership) -> str:
    return reverse("admin:ccadmin_membership_change", args=[membership.pk])


def form_errors(response):
    context = getattr(response, "context", None) or {}
    form = context.get("adminform")
    return form.form.errors if form else response.status_code


def add_data(**overrides) -> dict:
    """The People add form as an administrator fills it in (None: left out)."""
    data = {
        "username": "kenji",
        "first_name": "Kenji",
        "last_name": "Sato",
        "email": "kenji@example.jp",
        "role": AGENTS,
        "all_clients": "on",
        "sign_in": "password",
        "password1": STRONG,
        "password2": STRONG,
        **overrides,
    }
    return {key: value for key, value in data.items() if value is not None}


def change_data(membership, **overrides) -> dict:
    """A person's change form as the page shows it, with `overrides`."""
    user = membership.user
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "role": people.role_of(user),
        "clients": [c.pk for c in membership.client_partitions.all()],
    }
    if membership.all_client_partitions:
        data["all_clients"] = "on"
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


def can_sign_in(username: str, password: str) -> bool:
    """Whether the sign-in page lets this person in (through django-axes, as for
    anyone signing in)."""
    response = Client().post(
        reverse("login"), {"username": username, "password": password}
    )
    return response.status_code == 302


def groups_of(user) -> list[str]:
    return sorted(user.groups.values_list("name", flat=True))


@pytest.fixture
def acme(tenant):
    return factories.ClientPartitionFactory(tenant=tenant, name="Acme Insurance")


@pytest.fixture
def initech(tenant):
    return factories.ClientPartitionFactory(tenant=tenant, name="Initech")


# ----- the list -----------------------------------------------------------------------


def test_list_shows_own_tenants_people_with_last_sign_in(
    admin_client, admin_user, agent, other_tenant
):
    agent.last_login = timezone.make_aware(dt.datetime(2026, 3, 4, 9, 30))
    agent.save()
    stranger = factories.agent(other_tenant, username="stranger")
    factories.superuser(username="provider")
    newcomer = factories.agent(admin_user.membership.tenant, username="newcomer")

    response = admin_client.get(CHANGELIST)

    assert response.status_code == 200
    shown = set(response.context["cl"].result_list)
    assert shown == {admin_user.membership, agent.membership, newcomer.membership}
    assert stranger.membership not in shown
    assert "provider" not in response.text
    assert "Last sign-in" in response.text
    assert "March 4, 2026" in response.text
    assert "Never" in response.text  # the newcomer has not signed in yet
    assert "Agent" in response.text


def test_list_costs_the_same_queries_for_more_people(
    admin_client, tenant, acme, django_assert_max_num_queries
):
    for n in range(3):
        factories.agent(tenant, username=f"a{n}")
    with django_assert_max_num_queries(20) as few:
        admin_client.get(CHANGELIST)
    for n in range(3, 30):
        membership = factories.agent(tenant, username=f"a{n}").membership
        membership.all_client_partitions = False
        membership.save()
        membership.client_partitions.add(acme)
    with django_assert_max_num_queries(len(few.captured_queries)):
        admin_client.get(CHANGELIST)


def test_search_finds_by_name(admin_client, agent, tenant):
    factories.agent(tenant, username="kenji", first_name="Kenji")
    response = admin_client.get(CHANGELIST, {"q": "kenji"})
    assert [m.user.username for m in response.context["cl"].result_list] == ["kenji"]


def test_filter_by_role(admin_client, admin_user, agent):
    response = admin_client.get(CHANGELIST, {"role": AGENTS})
    assert list(response.context["cl"].result_list) == [agent.membership]


# ----- add ----------------------------------------------------------------------------


def test_add_an_agent_with_an_initial_password(admin_client, admin_user, tenant):
    assert admin_client.get(ADD).status_code == 200

    response = admin_client.post(ADD, add_data())

    assert response.status_code == 302, form_errors(response)
    user = User.objects.get(username="kenji")
    assert (user.first_name, user.last_name, user.email) == (
        "Kenji",
        "Sato",
        "kenji@example.jp",
    )
    assert user.check_password(STRONG)
    assert (user.is_active, user.is_staff, user.is_superuser) == (True, False, False)
    assert groups_of(user) == [AGENTS]
    assert user.membership.tenant == tenant
    assert user.membership.all_client_partitions is True
    assert_audited(user.membership.pk, Membership, ADDITION, admin_user, tenant)
    assert can_sign_in("kenji", STRONG)


def test_add_a_supervisor_of_one_client_with_a_set_password_link(
    admin_client, tenant, acme, initech
):
    response = admin_client.post(
        ADD,
        add_data(
            username="mika",
            role=CLIENT_SUPERVISORS,
            all_clients=None,
            clients=[acme.pk],
            sign_in="link",
            password1="",
            password2="",
        ),
        follow=True,
    )

    assert response.status_code == 200, form_errors(response)
    user = User.objects.get(username="mika")
    assert not user.has_usable_password()
    assert user.is_staff and not user.is_superuser
    assert groups_of(user) == [CLIENT_SUPERVISORS]
    assert list(user.membership.client_partitions.all()) == [acme]
    assert user.membership.all_client_partitions is False
    # The link is shown once, in the message; it lets the person choose a password.
    (shown,) = [str(m) for m in response.context["messages"] if "/reset/" in str(m)]
    link = shown.rsplit(" ", 1)[1]
    assert link.startswith("http://testserver/accounts/reset/")
    person = Client()
    form_page = person.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0]
    done = person.post(set_url, {"new_password1": STRONG, "new_password2": STRONG})
    assert done.status_code == 302
    assert can_sign_in("mika", STRONG)
    # Used once, it works no more.
    assert "invalid" in Client().get(link, follow=True).text.lower()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"username": "AIKO"}, "username"),  # taken by the agent, whatever the case
        ({"username": "bad name!"}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"password1": "123", "password2": "123"}, "password1"),
        ({"password2": "something else"}, "password2"),
        ({"password1": "", "password2": ""}, "password1"),
        ({"role": "Superusers"}, "role"),
    ],
    ids=[
        "taken",
        "bad-username",
        "bad-email",
        "weak-password",
        "passwords-differ",
        "no-password",
        "unknown-role",
    ],
)
def test_add_refuses_bad_input_with_a_form_error(admin_client, agent, overrides, field):
    users = User.objects.count()
    response = admin_client.post(ADD, add_data(**overrides))
    assert response.status_code == 200
    assert field in form_errors(response)
    assert User.objects.count() == users


# ----- change -------------------------------------------------------------------------


def test_change_details_role_and_clients(
    admin_client, admin_user, tenant, agent, acme, initech
):
    membership = agent.membership
    response = admin_client.get(change_url(membership))
    assert response.status_code == 200
    assert "Last sign-in" in response.text

    response = admin_client.post(
        change_url(membership),
        change_data(
            membership,
            email="aiko@example.jp",
            role=CLIENT_SUPERVISORS,
            all_clients=None,
            clients=[acme.pk, initech.pk],
        ),
    )

    assert response.status_code == 302, form_errors(response)
    agent.refresh_from_db()
    membership.refresh_from_db()
    assert agent.email == "aiko@example.jp"
    assert groups_of(agent) == [CLIENT_SUPERVISORS]
    assert agent.is_staff and not agent.is_superuser
    assert membership.all_client_partitions is False
    assert set(membership.client_partitions.all()) == {acme, initech}
    entries = AuditEntry.objects.filter(
        object_id=str(membership.pk), action_flag=CHANGE
    )
    values = {}
    for entry in entries:
        assert entry.user == admin_user
        assert entry.audit_scope.tenant_id == tenant.pk
        values.update(audit.change_values(entry))
    assert values["email"] == ("", "aiko@example.jp")
    assert values["role"] == (AGENTS, CLIENT_SUPERVISORS)
    assert values["is_staff"] == (False, True)
    assert values["client_partitions"] == ([], ["Acme Insurance", "Initech"])


def test_back_to_agent_is_not_staff_and_back_to_every_client(
    admin_client, tenant, acme
):
    supervisor = factories.client_supervisor(tenant)
    membership = supervisor.membership
    membership.all_client_partitions = False
    membership.save()
    membership.client_partitions.add(acme)

    response = admin_client.post(
        change_url(membership),
        change_data(membership, role=AGENTS, all_clients="on", clients=[]),
    )

    assert response.status_code == 302, form_errors(response)
    supervisor.refresh_from_db()
    membership.refresh_from_db()
    assert not supervisor.is_staff
    assert groups_of(supervisor) == [AGENTS]
    assert membership.all_client_partitions is True
    assert list(membership.client_partitions.all()) == []


def test_saving_unchanged_writes_no_audit_entry(admin_client, agent):
    entries = AuditEntry.objects.count()
    response = admin_client.post(
        change_url(agent.membership), change_data(agent.membership)
    )
    assert response.status_code == 302, form_errors(response)
    assert AuditEntry.objects.count() == entries


def test_a_role_change_keeps_groups_the_provider_gave(admin_client, agent):
    from django.contrib.auth.models import Group

    extra = Group.objects.create(name="Night shift")
    agent.groups.add(extra)
    admin_client.post(
        change_url(agent.membership),
        change_data(agent.membership, role=CLIENT_SUPERVISORS),
    )
    assert groups_of(agent) == [CLIENT_SUPERVISORS, "Night shift"]


# ----- the last administrator ---------------------------------------------------------


def test_the_last_administrator_cannot_be_demoted(admin_client, admin_user):
    membership = admin_user.membership
    response = admin_client.post(
        change_url(membership), change_data(membership, role=AGENTS)
    )
    assert response.status_code == 200
    assert "last administrator" in str(form_errors(response)["role"])
    admin_user.refresh_from_db()
    assert groups_of(admin_user) == [ADMINISTRATORS]
    assert admin_user.is_staff


def test_an_administrator_may_step_down_when_another_remains(
    admin_client, admin_user, tenant
):
    factories.administrator(tenant)
    membership = admin_user.membership
    response = admin_client.post(
        change_url(membership), change_data(membership, role=AGENTS)
    )
    assert response.status_code == 302, form_errors(response)
    assert groups_of(admin_user) == [AGENTS]


def test_an_inactive_administrator_does_not_count(admin_client, admin_user, tenant):
    factories.administrator(tenant, is_active=False)
    membership = admin_user.membership
    response = admin_client.post(
        change_url(membership), change_data(membership, role=AGENTS)
    )
    assert response.status_code == 200
    assert "role" in form_errors(response)


# ----- deactivate, reactivate, links --------------------------------------------------


def act(client, action: str, *memberships):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [m.pk for m in memberships]},
        follow=True,
    )


def test_deactivate_and_reactivate_a_person(admin_client, admin_user, tenant, agent):
    response = act(admin_client, "deactivate", agent.membership)
    assert "Deactivated 1 person." in response.text
    agent.refresh_from_db()
    assert agent.is_active is False
    assert Membership.objects.filter(pk=agent.membership.pk).exists()
    assert not can_sign_in(agent.username, "pw")
    entry = AuditEntry.objects.get(
        object_id=str(agent.membership.pk), action_flag=CHANGE
    )
    assert audit.change_values(entry)["is_active"] == (True, False)
    assert entry.user == admin_user

    response = act(admin_client, "reactivate", agent.membership)
    assert "Reactivated 1 person." in response.text
    agent.refresh_from_db()
    assert agent.is_active is True


def test_nobody_deactivates_themselves(admin_client, admin_user, tenant):
    factories.administrator(tenant)
    response = act(admin_client, "deactivate", admin_user.membership)
    assert "You cannot deactivate yourself." in response.text
    admin_user.refresh_from_db()
    assert admin_user.is_active


def test_deactivating_the_last_administrator_is_refused_and_nothing_changes(
    tenant, agent
):
    last = factories.administrator(tenant, username="last")
    other_admin_of_nothing = factories.superuser()
    client = signed_in(other_admin_of_nothing)
    response = act(client, "deactivate", agent.membership, last.membership)
    assert "last administrator" in response.text
    agent.refresh_from_db()
    last.refresh_from_db()
    assert agent.is_active and last.is_active  # all or none


def test_set_password_links_for_selected_people(admin_client, tenant, agent):
    idle = factories.agent(tenant, username="idle", is_active=False)
    response = act(
        admin_client, "set_password_links", agent.membership, idle.membership
    )
    links = [str(m) for m in response.context["messages"] if "/reset/" in str(m)]
    assert len(links) == 1 and agent.username in links[0]
    assert AuditEntry.objects.filter(
        object_id=str(agent.membership.pk), change_message="Made a set-password link."
    ).exists()


def test_nobody_deletes_a_person(admin_client, agent, provider_client):
    for client in (admin_client, provider_client):
        url = reverse("admin:ccadmin_membership_delete", args=[agent.membership.pk])
        assert client.post(url, {"post": "yes"}).status_code == 403
        offered = client.get(CHANGELIST).context["action_form"].fields["action"].choices
        assert "delete_selected" not in {name for name, _label in offered}
    assert User.objects.filter(pk=agent.pk).exists()


# ----- the service provider -----------------------------------------------------------


def test_superuser_sees_everyone_and_adds_into_a_chosen_tenant(
    provider_client, provider, agent, other_tenant
):
    stranger = factories.agent(other_tenant, username="stranger")
    response = provider_client.get(CHANGELIST)
    assert {agent.membership, stranger.membership} <= set(
        response.context["cl"].result_list
    )
    client_there = factories.ClientPartitionFactory(tenant=other_tenant, name="Contoso")

    response = provider_client.post(
        ADD,
        add_data(
            tenant=other_tenant.pk,
            username="sora",
            all_clients=None,
            clients=[client_there.pk],
        ),
    )

    assert response.status_code == 302, form_errors(response)
    membership = Membership.objects.get(user__username="sora")
    assert membership.tenant == other_tenant
    assert list(membership.client_partitions.all()) == [client_there]
    assert_audited(membership.pk, Membership, ADDITION, provider, other_tenant)


def test_superuser_cannot_give_a_client_of_another_tenant(
    provider_client, tenant, other_tenant
):
    elsewhere = factories.ClientPartitionFactory(tenant=other_tenant)
    response = provider_client.post(
        ADD,
        add_data(tenant=tenant.pk, all_clients=None, clients=[elsewhere.pk]),
    )
    assert response.status_code == 200
    assert "clients" in form_errors(response)
    assert not User.objects.filter(username="kenji").exists()


# ----- two administrators at once (PostgreSQL: real row locks) ----------------------


@pytest.mark.postgresql
@pytest.mark.django_db(transaction=True)
def test_two_administrators_demoting_each_other_at_once_leave_one():
    from django.core.exceptions import ValidationError

    from ccadmin import actions
    from tests.live import race

    tenant = factories.TenantFactory()
    first, second = factories.administrator(tenant), factories.administrator(tenant)

    outcomes = race(
        [
            lambda: actions.set_person_role(second.membership, AGENTS, actor=first),
            lambda: actions.set_person_role(first.membership, AGENTS, actor=second),
        ]
    )

    refused = [o for o in outcomes if isinstance(o, ValidationError)]
    assert len(refused) == 1, outcomes
    assert "last administrator" in str(refused[0])
    assert people.active_administrators(tenant.pk).count() == 1


# ----- an administrator who works for some clients only ----------------------------


@pytest.fixture
def partial_administrator(tenant, acme):
    """An administrator of the tenant who works for Acme Insurance only."""
    return factories._member(
        factories.UserFactory(is_staff=True), tenant, ADMINISTRATORS, [acme]
    )


def test_a_partial_administrator_cannot_give_every_client_or_another(
    partial_administrator, tenant, acme, initech
):
    membership = factories.agent(tenant, clients=[acme]).membership
    for clients in (None, [acme, initech]):
        with pytest.raises(ValidationError) as refused:
            actions.set_person_clients(membership, clients, actor=partial_administrator)
        assert refused.value.message_dict["clients"] == [
            "You work for some clients only: give only clients you work for."
        ]
    membership.refresh_from_db()
    assert not membership.all_client_partitions
    assert list(membership.client_partitions.all()) == [acme]


def test_a_partial_administrator_keeps_the_clients_they_cannot_see(
    partial_administrator, tenant, acme, initech
):
    membership = factories.agent(tenant, clients=[acme, initech]).membership
    actions.set_person_clients(membership, [], actor=partial_administrator)
    # Acme taken away; Initech, which the form could not offer, kept.
    assert list(membership.client_partitions.all()) == [initech]


def test_a_partial_administrator_cannot_narrow_a_person_of_every_client(
    partial_administrator, tenant, acme
):
    membership = factories.agent(tenant).membership
    with pytest.raises(ValidationError):
        actions.set_person_clients(membership, [acme], actor=partial_administrator)
    membership.refresh_from_db()
    assert membership.all_client_partitions


def test_a_partial_administrator_adds_people_of_their_clients_only(
    partial_administrator, tenant, acme, initech
):
    def person(clients):
        return people.NewPerson(
            "newbie", "New", "Person", "new@example.jp", AGENTS, clients=clients
        )

    for clients in (None, [initech]):
        with pytest.raises(ValidationError):
            actions.add_person(tenant, person(clients), actor=partial_administrator)
    added = actions.add_person(tenant, person([acme]), actor=partial_administrator)
    assert list(added.client_partitions.all()) == [acme]


def test_no_set_password_link_for_someone_who_signed_in_with_their_own(
    admin_client, tenant, agent
):
    agent.set_password("their-own-secret-1")
    agent.last_login = timezone.now()
    agent.save()
    response = act(admin_client, "set_password_links", agent.membership)
    assert "already signed in with a password of their own" in response.text
    assert not [m for m in response.context["messages"] if "/reset/" in str(m)]
    assert not AuditEntry.objects.filter(
        change_message="Made a set-password link."
    ).exists()
