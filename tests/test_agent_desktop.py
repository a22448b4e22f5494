"""The agent desktop: sign-in, the BPO client drop-down, contacts, contact pages."""

import re
from datetime import timedelta

import pytest
from django.contrib.admin.models import ADDITION, LogEntry
from django.core.exceptions import ValidationError
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from ccadmin.models import Membership
from contacts import actions as contact_actions
from contacts.models import Contact
from partitions import actions as partition_actions
from partitions.models import ClientPartition
from tests import factories

DESKTOP = "/agent/"
NEW_CONTACT = "/agent/contacts/new/"


@pytest.fixture
def clients(tenant, other_tenant):
    """Three enabled and one disabled client of `tenant`, one of `other_tenant`."""
    make = factories.ClientPartitionFactory
    return {
        "globex": make(tenant=tenant, name="Globex Telecom"),
        "acme": make(tenant=tenant, name="acme Insurance"),
        "sakura": make(tenant=tenant, name="さくら銀行"),
        "initech": make(tenant=tenant, name="Initech", enabled=False),
        "foreign": make(tenant=other_tenant, name="Contoso Retail"),
    }


def select_options(html: str, name: str = "client_partition") -> list[tuple[str, str]]:
    """(value, label) of each option of the named <select>, in page order."""
    select = re.search(rf'<select name="{name}"[^>]*>(.*?)</select>', html, re.S)
    assert select, f"no <select name={name}> in the page"
    return re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', select[1])


def expected_options(*partitions) -> list[tuple[str, str]]:
    return [("", "No client")] + [(str(p.pk), p.name) for p in partitions]


# ----- signing in ---------------------------------------------------------------------


def test_anonymous_is_sent_to_login(client, db):
    response = client.get(DESKTOP)
    assert response.status_code == 302
    assert response["Location"] == "/accounts/login/?next=/agent/"


def test_agent_signs_in_lands_on_desktop_and_signs_out(client, agent):
    page = client.get("/accounts/login/?next=/agent/")
    assert '<label for="id_username">' in page.text
    response = client.post(
        "/accounts/login/", {"username": "aiko", "password": "pw", "next": "/agent/"}
    )
    assert response.status_code == 302
    assert response["Location"] == "/agent/"
    assert client.get(DESKTOP).status_code == 200

    out = client.post("/accounts/logout/")
    assert out["Location"] == "/accounts/login/"
    assert client.get(DESKTOP).status_code == 302


def test_wrong_password_is_refused(client, agent):
    response = client.post("/accounts/login/", {"username": "aiko", "password": "x"})
    assert response.status_code == 200
    assert response.context["form"].errors
    assert client.get(DESKTOP).status_code == 302


def test_superuser_without_tenant_gets_a_clear_403(provider_client):
    response = provider_client.get(DESKTOP)
    assert response.status_code == 403
    assert "No access to the agent desktop" in response.text
    assert provider_client.get(NEW_CONTACT).status_code == 403


def test_administrator_with_membership_may_use_the_desktop(admin_client, clients):
    response = admin_client.get(DESKTOP)
    assert response.status_code == 200
    assert select_options(response.text) == expected_options(
        clients["acme"], clients["globex"], clients["sakura"]
    )


# ----- the drop-down ------------------------------------------------------------------


def test_dropdown_holds_exactly_the_enabled_clients_of_own_tenant_sorted(
    agent_client, clients
):
    response = agent_client.get(DESKTOP)
    assert response.status_code == 200
    assert '<label for="id_client_partition">BPO client</label>' in response.text
    # Sorted by name ignoring case; "No client" first; Initech (disabled) and the
    # other tenant's Contoso never appear.
    assert select_options(response.text) == expected_options(
        clients["acme"], clients["globex"], clients["sakura"]
    )
    assert "Initech" not in response.text
    assert "Contoso" not in response.text


def test_dropdown_follows_disable_enable_and_delete_at_once(
    agent_client, clients, admin_user
):
    acme, globex, sakura = clients["acme"], clients["globex"], clients["sakura"]
    partition_actions.set_client_partitions_enabled(
        ClientPartition.objects.filter(pk=globex.pk), enabled=False, actor=admin_user
    )
    assert select_options(agent_client.get(DESKTOP).text) == expected_options(
        acme, sakura
    )

    partition_actions.set_client_partitions_enabled(
        ClientPartition.objects.filter(pk=clients["initech"].pk),
        enabled=True,
        actor=admin_user,
    )
    assert select_options(agent_client.get(DESKTOP).text) == expected_options(
        acme, clients["initech"], sakura
    )

    partition_actions.delete_client_partition(acme, actor=admin_user)
    assert select_options(agent_client.get(DESKTOP).text) == expected_options(
        clients["initech"], sakura
    )
    # The new-contact form's own drop-down has the same choices.
    assert select_options(agent_client.get(NEW_CONTACT).text) == expected_options(
        clients["initech"], sakura
    )


# ----- a client's contacts ---------------------------------------------------------


def test_choosing_a_client_shows_only_its_contacts(agent_client, tenant, clients):
    acme, globex = clients["acme"], clients["globex"]
    mine = factories.ContactFactory(tenant=tenant, partition=acme, first_name="Aiko")
    factories.ContactFactory(tenant=tenant, partition=globex, first_name="Ben")
    factories.ContactFactory(tenant=tenant, partition=None, first_name="Chloe")

    response = agent_client.get(DESKTOP, {"client_partition": acme.pk})
    assert list(response.context["page"]) == [mine]
    assert response.context["chosen"] == acme
    assert ("selected" in response.text) and "Aiko" in response.text
    assert f'href="{NEW_CONTACT}?client_partition={acme.pk}"' in response.text

    none = agent_client.get(DESKTOP, {"client_partition": ""})
    assert [c.first_name for c in none.context["page"]] == ["Chloe"]


@pytest.mark.parametrize("which", ["initech", "foreign"])
def test_disabled_or_other_tenants_client_cannot_be_chosen(
    agent_client, tenant, other_tenant, clients, which
):
    partition = clients[which]
    factories.ContactFactory(
        tenant=partition.tenant, partition=partition, first_name="Hidden"
    )
    response = agent_client.get(DESKTOP, {"client_partition": partition.pk})
    assert response.status_code == 200
    assert response.context["page"] is None
    assert "Select a valid choice" in response.text
    assert "Hidden" not in response.text


@pytest.mark.parametrize(
    "query",
    [
        "tanaka",
        "AIKO TAN",
        "aiko.t@",
        "1234",
        # A phone in any format the agent may type (issue 10): international,
        # national, compact, E.164, the start of a national number, full-width.
        "+81 90-1234-5678",
        "090-1234-5678",
        "09012345678",
        "+819012345678",
        "090-1234",
        "０９０－１２３４－５６７８",
    ],
)
def test_search_by_name_email_and_phone(agent_client, tenant, clients, query):
    acme = clients["acme"]
    aiko = factories.ContactFactory(
        tenant=tenant,
        partition=acme,
        first_name="Aiko",
        last_name="Tanaka",
        email="aiko.t@example.jp",
        phone="+819012345678",
    )
    factories.ContactFactory(
        tenant=tenant, partition=acme, first_name="Ben", last_name="Smith"
    )
    response = agent_client.get(DESKTOP, {"client_partition": acme.pk, "q": query})
    assert list(response.context["page"]) == [aiko]


def test_contacts_are_paginated(agent_client, tenant, clients):
    acme = clients["acme"]
    factories.ContactFactory.create_batch(30, tenant=tenant, partition=acme)
    first = agent_client.get(DESKTOP, {"client_partition": acme.pk})
    assert len(first.context["page"]) == 25
    assert "Page 1 of 2" in first.text
    assert f"client_partition={acme.pk}&amp;page=2" in first.text
    second = agent_client.get(DESKTOP, {"client_partition": acme.pk, "page": 2})
    assert len(second.context["page"]) == 5


def test_a_large_clients_contacts_are_counted_only_up_to_the_cap(
    agent_client, tenant, clients, monkeypatch
):
    # given: a client holding more contacts than the (lowered) count cap
    from ccadmin import paginators
    from contacts import views

    monkeypatch.setattr(paginators, "COUNT_CAP", 3)
    monkeypatch.setattr(views, "CONTACTS_PER_PAGE", 2)
    acme = clients["acme"]
    factories.ContactFactory.create_batch(5, tenant=tenant, partition=acme)

    # when: the agent opens its contacts
    with CaptureQueriesContext(connection) as captured:
        response = agent_client.get(DESKTOP, {"client_partition": acme.pk})

    # then: counting stopped one row past the cap, in a LIMITed subquery, and the
    # page says "more than" and no number of pages, totals it never counted
    assert response.context["page"].paginator.count == 4
    counts = [q["sql"] for q in captured.captured_queries if "COUNT(" in q["sql"]]
    assert len(counts) == 1 and "LIMIT 4" in counts[0]
    assert "More than 3 contacts of acme Insurance" in response.text
    assert ">Page 1</span>" in response.text and "Page 1 of" not in response.text
    assert f"client_partition={acme.pk}&amp;page=2" in response.text


def test_a_small_clients_contacts_show_the_exact_count(agent_client, tenant, clients):
    acme = clients["acme"]
    factories.ContactFactory.create_batch(3, tenant=tenant, partition=acme)
    response = agent_client.get(DESKTOP, {"client_partition": acme.pk})
    assert not response.context["page"].paginator.capped
    assert "3 contacts of acme Insurance" in response.text


# ----- new contact --------------------------------------------------------------------


def test_new_contact_lands_in_the_chosen_client_with_an_audit_entry(
    agent_client, agent, tenant, clients
):
    acme = clients["acme"]
    page = agent_client.get(NEW_CONTACT, {"client_partition": acme.pk})
    assert re.search(rf'<option value="{acme.pk}" selected>', page.text)

    response = agent_client.post(
        NEW_CONTACT,
        {
            "client_partition": acme.pk,
            "first_name": "Taro",
            "last_name": "Yamada",
            "email": "Taro@Example.JP",
            "phone": "090-1111-2222",
        },
    )
    contact = Contact.objects.get(first_name="Taro")
    assert response["Location"] == f"/agent/contacts/{contact.pk}/"
    assert (contact.tenant, contact.partition) == (tenant, acme)
    assert (contact.email, contact.phone) == ("taro@example.jp", "+819011112222")
    entry = LogEntry.objects.get(object_id=str(contact.pk))
    assert (entry.user, entry.action_flag) == (agent, ADDITION)


def test_new_contact_with_no_client(agent_client, tenant, clients):
    response = agent_client.post(
        NEW_CONTACT, {"client_partition": "", "last_name": "Ito"}
    )
    assert response.status_code == 302
    contact = Contact.objects.get(last_name="Ito")
    assert (contact.tenant, contact.partition) == (tenant, None)


@pytest.mark.parametrize("which", ["initech", "foreign"])
def test_new_contact_refused_for_disabled_or_foreign_client(
    agent_client, clients, which
):
    response = agent_client.post(
        NEW_CONTACT, {"client_partition": clients[which].pk, "last_name": "Nope"}
    )
    assert response.status_code == 200
    assert "client_partition" in response.context["form"].errors
    assert not Contact.objects.filter(last_name="Nope").exists()


def test_new_contact_bad_input_is_a_form_error(agent_client, clients):
    empty = agent_client.post(NEW_CONTACT, {"client_partition": ""})
    assert "at least a name" in empty.text
    phone = agent_client.post(NEW_CONTACT, {"last_name": "Ito", "phone": "call me"})
    assert "phone" in phone.context["form"].errors
    assert not Contact.objects.exists()


def test_client_disabled_after_the_form_was_shown_is_refused_by_the_action(
    tenant, clients, agent
):
    """The rule lives in contacts.actions, not in the view."""
    with pytest.raises(ValidationError) as refused:
        contact_actions.create_contact(
            tenant, actor=agent, partition_id=clients["initech"].pk, last_name="X"
        )
    assert "partition" in refused.value.error_dict
    with pytest.raises(ValidationError):
        contact_actions.create_contact(
            tenant, actor=agent, partition_id=clients["foreign"].pk, last_name="X"
        )
    assert not Contact.objects.exists()


def test_user_without_add_permission_cannot_create(tenant, clients):
    viewer = factories.UserFactory()
    Membership.objects.create(user=viewer, tenant=tenant)  # a member in no group
    browser = Client()
    browser.force_login(viewer)
    response = browser.post(NEW_CONTACT, {"last_name": "Nope"})
    assert response.status_code == 403
    assert not Contact.objects.exists()


# ----- a contact's page --------------------------------------------------------------


def test_contact_page_shows_history_and_emails_newest_first(
    agent_client, tenant, clients
):
    acme = clients["acme"]
    contact = factories.ContactFactory(tenant=tenant, partition=acme)
    now = timezone.now()
    of_contact = {"tenant": tenant, "partition": acme, "contact": contact}
    for days, summary in [(3, "Oldest call"), (1, "Newest call"), (2, "Middle call")]:
        when = now - timedelta(days=days)
        factories.ActivityFactory(**of_contact, summary=summary, occurred_at=when)
    for days, subject in [(5, "Old mail"), (0, "New mail")]:
        when = now - timedelta(days=days)
        factories.EmailFactory(**of_contact, subject=subject, sent_at=when)
    page = agent_client.get(f"/agent/contacts/{contact.pk}/").text
    order = [page.index(s) for s in ["Newest call", "Middle call", "Oldest call"]]
    assert order == sorted(order)
    assert page.index("New mail") < page.index("Old mail")
    assert "acme Insurance" in page


@pytest.mark.parametrize("which", ["foreign", "initech"])
def test_contact_of_other_tenant_or_disabled_client_is_not_found(
    agent_client, clients, which
):
    partition = clients[which]
    hidden = factories.ContactFactory(tenant=partition.tenant, partition=partition)
    assert agent_client.get(f"/agent/contacts/{hidden.pk}/").status_code == 404


def test_desktop_pages_never_show_another_tenants_data(
    agent_client, tenant, other_tenant
):
    factories.client_with_data(other_tenant, "Secret Client", contacts=3)
    factories.ContactFactory(tenant=other_tenant, partition=None, last_name="Secret")
    for url in [DESKTOP, f"{DESKTOP}?client_partition=", NEW_CONTACT]:
        response = agent_client.get(url)
        assert response.status_code == 200
        assert "Secret" not in response.text
    assert reverse("agent:desktop") == DESKTOP


def test_contact_page_shows_the_mobile_number(agent_client, tenant, clients):
    contact = factories.ContactFactory(
        tenant=tenant, partition=clients["acme"], mobile="090-1111-2222"
    )
    page = agent_client.get(f"/agent/contacts/{contact.pk}/").text
    assert "+819011112222" in page
    assert "Mobile" in page
