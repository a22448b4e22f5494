"""Admin robustness (issue 11, item 6): search terms are capped, NUL and control
characters in any list's search, filter or autocomplete term get a clear 400 (on
PostgreSQL they used to reach the database and answer 500), never an error page."""

import pytest
from django.contrib import admin
from django.test import Client
from django.urls import reverse

from ccadmin.admin_base import SEARCH_MAX_LENGTH
from tests import factories

CONTROL = ["\x00", "a\x00b", "\x1b[31m", "\r\n", "\x7f", "\x85"]


def _lists():
    """Every admin list: (admin, changelist URL)."""
    return [
        (
            model_admin,
            reverse(f"admin:{m._meta.app_label}_{m._meta.model_name}_changelist"),
        )
        for m, model_admin in admin.site._registry.items()
    ]


LISTS = [url for _admin, url in _lists()]


@pytest.fixture
def client(provider):
    # The service provider sees every list, every filter and the tenant filter.
    browser = Client()
    browser.force_login(provider)
    return browser


@pytest.fixture
def data(tenant):
    factories.client_with_data(tenant, "Acme", contacts=2, companies=1)


def _refused(response, text):
    assert response.status_code == 400
    assert text in response.content.decode()


@pytest.mark.parametrize("url", LISTS)
@pytest.mark.parametrize("value", CONTROL, ids=repr)
def test_control_characters_in_a_search_are_refused_with_a_message(
    client, data, url, value
):
    response = client.get(url, {"q": value})
    _refused(response, "cannot contain control characters")


@pytest.mark.parametrize("url", LISTS)
def test_a_search_longer_than_the_cap_is_refused_and_one_at_the_cap_runs(
    client, data, url
):
    _refused(
        client.get(url, {"q": "a" * (SEARCH_MAX_LENGTH + 1)}),
        f"at most {SEARCH_MAX_LENGTH} characters",
    )
    assert client.get(url, {"q": "a " * (SEARCH_MAX_LENGTH // 2)}).status_code == 200


def _filter_parameters(client, url) -> list[str]:
    """The query parameters of every filter of the list, as the list offers them."""
    response = client.get(url)
    assert response.status_code == 200
    changelist = response.context["cl"]
    names = set()
    for spec in changelist.filter_specs:
        names.update(spec.expected_parameters())
    if changelist.date_hierarchy:
        names.update({f"{changelist.date_hierarchy}__year"})
    return sorted(names)


def test_every_list_with_filters_is_probed(client, data):
    probed = {url for url in LISTS if _filter_parameters(client, url)}
    assert reverse("admin:contacts_contact_changelist") in probed
    assert reverse("admin:ccadmin_auditentry_changelist") in probed


@pytest.mark.parametrize("url", LISTS)
def test_control_characters_in_every_filter_are_refused_never_a_500(client, data, url):
    for name in _filter_parameters(client, url):
        for value in ["\x00", "1\x00", "\x01"]:
            response = client.get(url, {name: value})
            assert response.status_code == 400, (name, value)
            assert "cannot contain control characters" in response.content.decode()


def test_the_attacks_partition_filter_with_a_nul(client, data):
    url = reverse("admin:contacts_contact_changelist")
    _refused(
        client.get(f"{url}?partition__id__exact=%00"),
        "cannot contain control characters",
    )
    # and in a parameter's name
    _refused(client.get(f"{url}?q%00=x"), "cannot contain control characters")


def test_the_refusal_is_a_page_of_the_admin_with_a_way_back(client, data):
    url = reverse("admin:contacts_contact_changelist")
    response = client.get(url, {"q": "\x00"})
    page = response.content.decode()
    assert "This search cannot be run" in page
    assert f'href="{url}"' in page


@pytest.mark.parametrize(
    "term, text",
    [
        ("\x00", "cannot contain control characters"),
        ("ab\x00", "cannot contain control characters"),
        ("a" * (SEARCH_MAX_LENGTH + 1), "at most"),
    ],
    ids=["nul", "nul-inside", "too-long"],
)
def test_autocomplete_terms_are_refused_with_json(client, tenant, term, text):
    params = {
        "app_label": "ccadmin",
        "model_name": "membership",
        "field_name": "user",
        "term": term,
    }
    response = client.get(reverse("admin:autocomplete"), params)
    assert response.status_code == 400
    assert text in response.json()["error"]
    # and a normal term still works
    params["term"] = "a"
    assert client.get(reverse("admin:autocomplete"), params).status_code == 200


def test_a_tenant_administrator_gets_the_same_answer(admin_client, data):
    url = reverse("admin:contacts_contact_changelist")
    _refused(admin_client.get(url, {"q": "\x00"}), "cannot contain control characters")


def test_a_signed_out_visitor_is_sent_to_sign_in_first(db):
    url = reverse("admin:contacts_contact_changelist")
    response = Client().get(url, {"q": "\x00"})
    assert response.status_code == 302
    assert "/login/" in response["Location"]
